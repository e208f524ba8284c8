"""The Act as data: identity items, municipal-only attributes, articles, annex tables 1-5 and
the constraint catalogue C01-C16.

Loaded from `model/data/statute.toml` and `model/data/annex.toml` (both cite their sources);
a scenario may amend the annex tables, their bodies and the articles' texts, and add an item that is not
identity information (scenario.py merges the amendment before validation); the rest is the law side the
constraints are read against, which a scenario may make stricter, never looser (model/config/checks.py,
`law_side_checks`).
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator

from jukinet.model.core.frozen import Frozen

CONSTRAINT_IDS = tuple(f"C{i:02d}" for i in range(1, 17))
# Art. 30-7 and the annex tables came into force on 2002-08-05 (Act No. 133 of 1999): a row no source dates later
# is in force from then (model/data/annex.toml says which rows, with their sources).
ANNEX_START = dt.date(2002, 8, 5)
FY2006 = (dt.date(2006, 4, 1), dt.date(2007, 3, 31))


class Item(Frozen):
    """One attribute a municipality holds about a resident: an item of the resident record (Art. 7), or
    one it keeps in another ledger (`in_register = false`), named so that a configuration moving it
    can be caught."""

    id: str
    ja: str
    identity: bool  # True for the six items of identity information (Art. 30-5)
    in_register: bool = True  # an item of the resident record (Art. 7)


class AnnexRow(Frozen):
    """One row of an annex table: who may receive identity information for which affair, and the days it is a
    lawful basis (Art. 30-7, 30-8): from `in_force_from` up to the day before `in_force_until` (the day it ceased)."""

    id: str = Field(pattern=r"^A[1-5]-\d+(-\d+)?$")
    table: int = Field(ge=1, le=5)
    row: str
    row_ja: str = ""
    bodies: tuple[str, ...] = Field(min_length=1)
    law_ja: str = ""
    law_en: str
    gloss: str
    mode: Literal["interactive", "interactive+batch"] = "interactive"
    in_force_from: dt.date = ANNEX_START  # a row a scenario adds without a day: from the annex's start
    in_force_until: dt.date | None = None  # the day the row ceased (not in force on it); None while it stands
    law_ja_fy2006: str = ""  # the statute's name in FY2006 where it differs from `law_ja` (the 2012 text's)
    body_fy2006: str = ""  # the receiving body in FY2006 where the 2012 text names another (ids unchanged)
    source: str = ""  # the text the days come from ([ASSUMPTION] where the model infers them)
    citation: str

    @model_validator(mode="after")
    def _ceases_after_it_starts(self) -> AnnexRow:
        if self.in_force_until is not None and self.in_force_until <= self.in_force_from:
            raise ValueError(f"in_force_until {self.in_force_until} is not after in_force_from {self.in_force_from}")
        return self

    @property
    def batch(self) -> bool:
        return "batch" in self.mode

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the row is a lawful basis on `day` (Art. 30-7: only the affairs the annex lists that day)."""
        return self.in_force_from <= day and (self.in_force_until is None or day < self.in_force_until)

    @property
    def in_force_fy2006(self) -> bool:
        """In force on some day of FY2006 (2006-04-01 .. 2007-03-31): a row of the FY2006 table."""
        return self.in_force_from <= FY2006[1] and (self.in_force_until is None or self.in_force_until > FY2006[0])


class Body(Frozen):
    """A receiving body named in the annex tables (ids are jukinet's)."""

    id: str
    name: str
    level: Literal["national", "local"]
    kind: Literal["public"]
    # a class of separate corporations, one designated under each law whose rows name it (指定試験機関, 指定登録機関):
    # each its own principal (L01), never one body
    designated: bool = False
    # several separate corporations the annex names under one id (地方公務員共済組合 and their federations, the two
    # 旅行業協会, 存続組合 and 指定基金): each its own principal (L01), two of them standing for them all
    several: bool = False


class Constraint(Frozen):
    id: str = Field(pattern=r"^C(0[1-9]|1[0-6])$")
    statement: str
    articles: tuple[str, ...]


# The link attributes C13 can require to be on (model.world.topology.LinkSecurity's flags); the firewall and the
# protocol are not flags: they have keys of their own (`firewall`, `allowed_protocols`)
LinkFlag = Literal["dedicated", "mutual_auth", "encrypted", "intrusion_detection"]


class C13Requirement(Frozen):
    required: tuple[LinkFlag, ...]
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

    def allows(self, keys: frozenset[str]) -> bool:
        """C10's reading: a lookup by an allowed combination, or by more keys than one (code and name is a lookup by
        the code, narrower still); never by fewer nor by none, and never with a wildcard, which widens whatever it is
        added to (a code with a wildcard lists every code it matches)."""
        return "wildcard" not in keys and any(set(combo) <= keys for combo in self.keys)


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
    # The day this statute is read on: the first day of the configuration it belongs to (the fiscal year's first
    # day, or a dated change's: model.config.scenario sets it); None, a statute read alone: FY2006's first day.
    as_of: dt.date | None = None

    @property
    def day(self) -> dt.date:
        return self.as_of or FY2006[0]

    @cached_property
    def identity_items(self) -> frozenset[str]:
        """The items of identity information (Art. 30-5, 30-11; C01), from the statute data's `identity`
        flags (the Act's six: a scenario may not change them, model/config/checks.py `law_side_checks`)."""
        return frozenset(i.id for i in self.item if i.identity)

    @cached_property
    def item_ids(self) -> frozenset[str]:
        return frozenset(i.id for i in self.item)

    @cached_property
    def rows(self) -> dict[str, AnnexRow]:
        return {r.id: r for r in self.annex}

    def rows_on(self, day: dt.date) -> tuple[AnnexRow, ...]:
        """The annex rows in force on `day` (AnnexRow.in_force_on)."""
        return tuple(r for r in self.annex if r.in_force_on(day))

    def listed_on(self, day: dt.date) -> frozenset[tuple[str, str]]:
        """(body, affair) pairs the annex tables allow on `day`: the law side of C02 (Art. 30-7, 30-8)."""
        return frozenset((b, r.id) for r in self.rows_on(day) for b in r.bodies)

    @cached_property
    def in_force(self) -> tuple[AnnexRow, ...]:
        """The rows in force on this statute's day (`as_of`): those the registry serves (model.law.policy)."""
        return self.rows_on(self.day)

    @cached_property
    def listed(self) -> frozenset[tuple[str, str]]:
        """(body, affair) pairs the annex tables allow on this statute's day: the law side of C02.  Only rows in
        force are a lawful basis (docs/scenarios.md, "Rows in force"): a row not in force that day is no basis,
        whatever the registry says, so a body served under it breaks C02 (Art. 30-7).  Each dated configuration
        of a year has its own day, so the rows follow the day (model.config.timeline, annex_breakpoints)."""
        return self.listed_on(self.day)

    def cite(self, article: str) -> str:
        return f"Art. {article}: {self.article[article]}" if article[0].isdigit() else self.article[article]
