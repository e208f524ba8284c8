"""Issue 30, the hostile prober's findings as tests: each input was a traceback, a hang, or accepted and then
crashed the run; each is now one line and exit 2, before anything is written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from jukinet.model.cli.main import main
from jukinet.model.core.errors import UserError


def _one_line(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jukinet: error:") and all(w in err for w in words), err


@pytest.mark.parametrize(
    "setting",
    ["provision.batch_age = 110", "operators.per_cs = 3000000", "operators.per_body = 100000000", "cards.e_applications = 1e12"],
)
def test_a_value_that_crashed_the_run_is_refused_by_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, setting: str
) -> None:
    f = tmp_path / "s.toml"
    f.write_text(f'scenario.name = "x"\n{setting}\n', encoding="utf-8")
    _one_line(capsys, ["check", str(f)], setting.split(" ")[0])


@pytest.mark.parametrize(
    "argv",
    [
        ["loadtest", "--servers", "-1"],
        ["loadtest", "--servers", "0"],
        ["loadtest", "--servers", "1000000000"],
        ["loadtest", "--workers", "0"],
        ["capacity", "--max-servers", "0"],
        ["capacity", "--replications", "0"],
        ["capacity", "--slo", "p99<0s"],
    ],
)
def test_a_count_out_of_bounds_is_refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    _one_line(capsys, argv, argv[1])


def test_special_files_are_refused_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path, signed: tuple[Path, Path]) -> None:
    """A FIFO blocks its reader for ever and /dev/zero never ends: as a key, in a run folder, as service times."""
    run, keys = signed
    mine = tmp_path / "keys"
    shutil.copytree(keys, mine)
    (mine / "public" / "center.pub").unlink()
    os.mkfifo(mine / "public" / "center.pub")
    _one_line(capsys, ["audit", str(run), "--trust", str(mine / "public")], "center.pub", "not a regular file")
    (mine / "public" / "center.pub").unlink()
    (mine / "public" / "center.pub").symlink_to("/dev/zero")
    _one_line(capsys, ["audit", str(run), "--trust", str(mine / "public")], "center.pub", "not a regular file")
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    os.mkfifo(copy / "records" / "zz.parquet")
    _one_line(capsys, ["audit", str(copy)], "zz.parquet", "not a regular file")
    os.mkfifo(tmp_path / "st.json")
    _one_line(capsys, ["capacity", "--service-times", str(tmp_path / "st.json")], "st.json", "not a regular file")


@pytest.mark.parametrize("argv", [["run", "--scale", "０.001"], ["run", "--seed", "１２"], ["loadtest", "--volume-scale", "１"]])
def test_full_width_digits_are_refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Python's float() and int() read full-width digits; the command line takes ASCII ones only."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"got '{argv[-1]}'; allowed:" in err, err


def test_a_signed_run_without_its_heads_is_not_taken_for_unsigned(capsys: pytest.CaptureFixture[str], signed_copy: Path) -> None:
    """Issue 30: disclose on a signed run whose heads.json was removed said "not signed" and exited 0."""
    import pyarrow.parquet as pq

    (signed_copy / "heads.json").unlink()
    code = pq.read_table(signed_copy / "records" / "residents.parquet", columns=["code"]).column("code")[0].as_py()
    _one_line(capsys, ["disclose", str(signed_copy), "--code", f"{code:011d}"], "heads.json", "missing from a signed run")


@pytest.mark.parametrize("argv", [["run", "--nope"], ["loadtest", "--engine", "warp"], ["nope"], ["check"]])
def test_a_refused_command_line_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """argparse printed its usage block above the error; now the error alone, pointing to --help."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "error:" in err and "--help" in err, err


@pytest.mark.parametrize("host", ["Uü;x", "a b", "", "-a.jp", "a" * 64 + ".jp", "x" * 254])
def test_a_bad_host_is_one_line_and_writes_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path, host: str) -> None:
    """Issue 30 (the fuzz tier found it): a non-ASCII --host was a traceback that left a half-written folder with
    the authority's key in it; a blank or spaced one was written into the certificate."""
    assert main(["tls-keys", "--out", str(tmp_path / "t"), f"--host={host}"]) == 2
    assert capsys.readouterr().err.count("error:") == 1 and not (tmp_path / "t").exists()


def test_a_tls_keys_folder_is_never_replaced_by_another_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Its private keys (the authority's, the center's) cannot be made again: --force replaces it no more than keys."""
    from jukinet.model.core.output import check_target

    assert main(["tls-keys", "--out", str(tmp_path / "t"), "--host", "juki.example.jp", "--host", "10.0.0.1"]) == 0
    for kind in ("run", "keys", "serve"):
        with pytest.raises(UserError, match="is a jukinet tls-keys folder"):
            check_target(tmp_path / "t", kind, force=True)


def test_a_path_with_a_nul_byte_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """Only the Python API can pass one (the fuzz tier did); the system refuses it: one line, exit 2."""
    assert main(["keys", "--out", "a\x00b"]) == 2
    assert "NUL byte" in capsys.readouterr().err
