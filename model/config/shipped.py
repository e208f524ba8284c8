"""The scenarios shipped with jukinet (the `scenarios` package: the analyst's questions at its top, the
incidents and what-ifs in incidents/, network faults in faults/, and the suites of the proofs in mutants/,
lawful/ and refused/), found by name so that an installed user can run one without knowing where the
package lies: `jukinet run fy2006_as_designed`, `jukinet prove incidents/jpki_card_defects`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

FOLDERS = ("", "incidents", "faults")  # listed by `jukinet scenarios`; the proofs' suites by --all
SUITES = ("mutants", "lawful", "refused")


def shipped_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "scenarios"  # beside model/ in the repository and in jukinet/ installed


@dataclass(frozen=True)
class Shipped:
    name: str  # as a command takes it: "fy2006_as_designed", "incidents/jpki_card_defects"
    path: Path
    description: str


def shipped(folders: tuple[str, ...] = FOLDERS) -> list[Shipped]:
    """Every shipped scenario of these folders, with the one-line description its [scenario] gives."""
    out = []
    for folder in folders:
        for p in sorted((shipped_dir() / folder).glob("*.toml")):
            try:
                about = tomllib.loads(p.read_text(encoding="utf-8")).get("scenario", {})
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                about = {}
            text = about.get("description") if isinstance(about, dict) else None
            name = f"{folder}/{p.stem}" if folder else p.stem
            out.append(Shipped(name, p, text if isinstance(text, str) else ""))
    return out


def resolve(path: str | Path) -> Path:
    """`path` as given when it exists (a user's file always wins), else the shipped scenario it names
    (`NAME`, `NAME.toml`, `incidents/NAME`, ...); unchanged if neither, so reading it says it is missing."""
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    base = shipped_dir()
    for candidate in (base / p, base / p.with_suffix(".toml")):
        if candidate.is_file() and candidate.resolve().is_relative_to(base):
            return candidate
    return p
