"""The Act as data: identity items, municipal-only attributes, articles, annex tables 1-5 and
the constraint catalogue C01-C16.

Loaded from `model/data/statute.toml` and `model/data/annex.toml` (both cite their sources);
a scenario may amend any of it (scenario.py merges the amendment before validation).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field

from model.core.frozen import Frozen

CONSTRAINT_IDS = tuple(f"C{i:02d}" for i in range(1, 17))


class Item(Frozen):
    """One attribute a municipality holds about a resident: an item of the resident record (Art. 7), or
    one it keeps in another ledger (`in_register = false`), named so that a configuration moving it
    can be caught."""

    id: str
    ja: str
    identity: bool  # True for the six items of identity information (Art. 30-5)
    in_register: bool = True  # an item of the resident record (Art. 7)


class AnnexRow(Frozen):
    """One row of an annex table: who may receive identity information for which affair."""

    id: str = Field(pattern=r"^A[1-5]-\d+(-\d+)?$")
    table: int = Field(ge=1, le=5)
    row: str
    row_ja: str = ""
    bodies: tuple[str, ...] = Field(min_length=1)
    law_ja: str = ""
    law_en: str
    gloss: str
    mode: Literal["interactive", "interactive+batch"] = "interactive"
    in_force_fy2006: bool = True
    citation: str

    @property
    def batch(self) -> bool:
        return "batch" in self.mode


class Body(Frozen):
    """A receiving body named in the annex tables (ids are jukinet's)."""

    id: str
    name: str
    level: Literal["national", "local"]
    kind: Literal["public"]


class Constraint(Frozen):
    id: str = Field(pattern=r"^C(0[1-9]|1[0-6])$")
    statement: str
    articles: tuple[str, ...]


class C13Requirement(Frozen):
    required: tuple[str, ...]
    firewall: str
    allowed_protocols: tuple[str, ...]


class Penalty(Frozen):
    article: str
    prison_years: float
    fine_yen: int


class LawfulGrant(Frozen):
    """Items the Act lets a holder of one node kind hold outside the annex tables."""

    kind: str
    items: tuple[str, ...]
    articles: tuple[str, ...]
    note: str = ""


class Lawful(Frozen):
    """Who may ever hold what (the law side of the flow constraints, model/law/flow.py)."""

    other_cs_items: tuple[str, ...]  # beyond the identity items, what a CS other than the home one may hold
    other_cs_articles: tuple[str, ...]
    holder: tuple[LawfulGrant, ...] = ()


class Lookup(Frozen):
    keys: tuple[tuple[str, ...], ...]  # the key combinations the Act allows for a lookup (C10)

    @property
    def items(self) -> frozenset[str]:
        """Every item some allowed combination uses: the vocabulary of lookup keys."""
        return frozenset(i for combo in self.keys for i in combo)


class Statute(Frozen):
    """The Act: items, articles, annex tables, constraint catalogue."""

    item: tuple[Item, ...]
    article: dict[str, str]
    constraint: tuple[Constraint, ...]
    annex: tuple[AnnexRow, ...]
    body: tuple[Body, ...]
    c13: C13Requirement
    lookup: Lookup
    lawful: Lawful
    confidentiality: dict[str, str]
    penalty: dict[str, Penalty]

    @cached_property
    def identity_items(self) -> frozenset[str]:
        """The items of identity information (Art. 30-5, 30-11; C01), from the statute data's `identity`
        flags: the one source a scenario amends."""
        return frozenset(i.id for i in self.item if i.identity)

    @cached_property
    def item_ids(self) -> frozenset[str]:
        return frozenset(i.id for i in self.item)

    @cached_property
    def rows(self) -> dict[str, AnnexRow]:
        return {r.id: r for r in self.annex}

    @cached_property
    def listed(self) -> frozenset[tuple[str, str]]:
        """(body, affair) pairs the annex tables allow: the law side of C02.  Only rows in force are a lawful
        basis (docs/scenarios.md, "Rows in force"): a row whose statute was not in force in FY2006 is no basis on
        any day of the year, whatever the registry says, so a body served under it breaks C02 (Art. 30-7)."""
        return frozenset((b, r.id) for r in self.annex if r.in_force_fy2006 for b in r.bodies)

    def cite(self, article: str) -> str:
        return f"Art. {article}: {self.article[article]}" if article[0].isdigit() else self.article[article]
