"""Parameters of the fiscal-year simulation: resident events, cards, provision mix, operators,
links and the organisation (the `[events]`, `[cards]`, `[provision]`, `[operators]`, `[links]` and
`[organisation]` sections; each default in defaults.toml cites its source or is an ASSUMPTION)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from jukinet.model.core.frozen import Frozen


class EventsConfig(Frozen):
    births: float = Field(ge=0)
    deaths: float = Field(ge=0)
    moves_between: float = Field(ge=0)
    share_between_prefectures: float = Field(ge=0, le=1)
    moves_within: float = Field(ge=0)
    name_changes: float = Field(ge=0)
    code_changes: float = Field(ge=0)
    social_change: float = 0.0  # the register's net social change a year (negative: removals; model/sim/engine.py)
    copy_requests: float = Field(ge=0)
    wide_area_copy_rate: float = Field(ge=0)  # per resident per year (photo ID or card)
    move_month_weight: tuple[float, ...] = Field(min_length=12, max_length=12)


class CardDefect(Frozen):
    """A card maker's defect (`[[cards.defect]]`; model/sim/cardholders.py): some of the cards held when the year
    starts fail one signed e-application in `fail_every` until their holders exchange them at the counter, at a
    day drawn over `exchange_days` from `announced` (a card whose day falls before the year was exchanged already)."""

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    units: tuple[str, ...] = ()  # the units (6-digit lgcodes) whose cards carry it ...
    unit_count: int = Field(default=0, ge=0)  # ... or this many connected units, drawn by the run [ASSUMPTION]
    cards: int = Field(ge=1)  # cards that carry it, nationally (a run takes its scale's share)
    fail_every: int = Field(ge=1)  # one signature in this many is wrong
    announced: dt.date  # the maker's announcement: exchanges begin
    exchange_days: int = Field(ge=1)  # exchanges spread over this many days
    source: str = Field(min_length=1)


# What a Juki card's face can print (mission document; C15): name, issuer and expiry always, the date of birth,
# sex, address and photo optionally; `code` and `pin` are named so that a scenario printing them is expressible,
# and C15 (proofs/structure.py code_stays_in_the_chip) finds it VIOLATED
# The basic area's PIN: 4 digits (the card's rule [ASSUMPTION: the later card's]; model/sim/card.py draws it,
# proofs/structure.py reads how many tries a guesser gets)
PIN_SPACE = 10_000
FaceItem = Literal["name", "issuer", "expiry", "dob", "sex", "address", "photo", "code", "pin"]


class CardsConfig(Frozen):
    holders_start: int = Field(ge=0)
    holders_end: int = Field(ge=0)
    validity_years: int = Field(ge=1)
    jpki_share: float = Field(ge=0, le=1)
    e_applications: float = Field(ge=0, le=100)  # a year's signed applications per holder: 100 is far past any use
    special_move_share: float = Field(ge=0, le=1)
    pin_error: float = Field(ge=0, lt=1)
    pin_tries: int = Field(ge=1)
    face_items: tuple[FaceItem, ...]
    chip_basic: tuple[str, ...]
    signature_algorithm: Literal["ecdsa-p256", "rsa-1024", "rsa-2048"]  # model/sim/card.py KEYS
    key_pool: int = Field(ge=0)  # real JPKI keys a run's chips share [ASSUMPTION]; 0: each its own
    defect: tuple[CardDefect, ...] = ()  # none in the defaults; scenarios/incidents/jpki_card_defects.toml
    # units' shares of the nation's card holders where a source gives a unit's figure (lgcode = share); the rest
    # spread over the other connected units by population (model/sim/cardholders.py)
    unit_share: dict[str, float] = {}


class ProvisionConfig(Frozen):
    existence_check_rows: tuple[str, ...] = Field(min_length=1)
    existence_check_weights: tuple[float, ...] = Field(min_length=1)
    cohort_20_row: str
    copy_replacing_rows: tuple[str, ...] = Field(min_length=1)
    copy_replacing_weights: tuple[float, ...] = Field(min_length=1)
    pension_share_of_other: float = Field(ge=0, le=1)
    refusal_rate: float = Field(ge=0, lt=1)
    batch_age: int = Field(ge=0, le=99)  # the drawn residents are under 100 (model/sim/residents.py AGE_SHARES)
    # months between a pensioner's birth month and the month the batch checks them (the report was due in the
    # birth month; SIA's notice went out the month before): 2 = December's born checked in October
    batch_birth_month_lead: int | None = Field(default=None, ge=0, le=11)
    lookup_keys: tuple[tuple[str, ...], ...] = Field(min_length=1)  # the key combinations interactive lookups use
    lookup_key_weights: tuple[float, ...] = Field(min_length=1)
    # prefectures (2-digit codes) whose governor made no own use of the identity information (annex 5) though
    # the Act allowed it: the run draws no annex-5 lookup about their residents
    own_use_not_made: tuple[str, ...] = ()


class OperatorsConfig(Frozen):
    per_cs: int = Field(ge=1, le=1000)  # an operator's number is 32 bits wide: a thousand per terminal is past any office
    per_body: int = Field(ge=1, le=1000)


class LinkFault(Frozen):
    """A fault of the network during a window (model/sim/faults.py says what each kind does)."""

    link: str  # "cs:LGCODE" or "pref:PP" (that node's uplink), or "center" (a crash)
    start: str  # ISO date-time inside the fiscal year
    hours: float = Field(gt=0, le=24 * 366)
    kind: Literal["down", "flap", "slow", "crash", "poison", "skew"] = "down"
    factor: float = Field(default=20.0, ge=1, le=1e6)  # slow: latency multiplied by this
    period_minutes: float = Field(default=10.0, gt=0, le=24 * 60)  # flap: down half of each period
    skew_s: float = Field(default=0.0, ge=-86_400, le=86_400)  # skew: the CS clock's offset


class LinksConfig(Frozen):
    latency_s: float = Field(ge=0)
    retry_s: float = Field(gt=0)
    fault: tuple[LinkFault, ...] = ()


class OrganisationConfig(Frozen):
    """The `[organisation]` section: duties, inspections, disclosure, withholding, card safeguards."""

    confidentiality: tuple[str, ...]
    leak_penalty: str
    self_inspection_exempt: tuple[str, ...] = ()
    external_audits: bool = True
    disclosure_days: int = Field(ge=0)
    withholding: tuple[str, ...] = ()
    # per withholding municipality, the share of its residents withheld (those who asked); absent: every resident
    withholding_share: dict[str, float] = {}
    jpki_key_exportable: bool = False
    independent_area_uses_code: bool = False
