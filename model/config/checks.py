"""Cross-reference checks of a merged scenario, beyond what its schema can see: items, articles,
constraint ids, messages, codes, dates, and ids that would shadow a network node or requester kind.
Every problem is one `UserError` naming the file, the key and what is allowed."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date

from jukinet.model.config.schema import Config
from jukinet.model.config.sections import defect_checks, fault_checks, unit_share_checks
from jukinet.model.config.timeline import PER_UNIT
from jukinet.model.core.errors import UserError
from jukinet.model.law.policy import ACTION_MESSAGE, PULL_PUSH
from jukinet.model.law.statute import CONSTRAINT_IDS
from jukinet.model.world.calendar import FISCAL_YEARS
from jukinet.model.world.population import unit_populations, unit_rows


def copies_national_share(cfg: Config) -> float:
    """The share of the copy-replacing lookups made by national bodies: the weights of the annex-1 rows
    among [provision] copy_replacing_rows (the rest are prefectures' and municipalities' rows)."""
    p = cfg.provision
    total = sum(p.copy_replacing_weights)
    rows = cfg.statute.rows
    pairs = zip(p.copy_replacing_rows, p.copy_replacing_weights, strict=False)
    national = sum(w for r, w in pairs if r in rows and rows[r].table == 1)
    return national / total if total > 0 else 0.0


def semantic_checks(cfg: Config, source: str, units: bool = True) -> None:
    """Cross-references pydantic cannot see: items, articles, constraint ids, messages, codes; with `units`, that
    the per-unit settings name units in being (`units_in_being`: the loader runs it on the configuration the year
    starts with, its history applied, and on each dated one)."""
    items = cfg.statute.item_ids
    for m in cfg.policy.messages:
        for it in m.items:
            if it not in items:
                raise UserError(
                    source, f"policy.messages[{m.id}].items", f"unknown item {it!r}; allowed: {', '.join(sorted(items))}"
                )
    kinds = ("center", "prefecture", "cs", "recipient", "private", "relay", "jpki", "resident")
    for m in cfg.policy.messages:  # the node kinds a schema goes between (model/world/topology.py)
        for end in ("src", "dst"):
            if getattr(m, end) not in kinds:
                raise UserError(source, f"policy.messages[{m.id}].{end}", f"got {getattr(m, end)!r}; allowed: {', '.join(kinds)}")
    keys = cfg.statute.lookup.items  # the lookup keys of the Act (statute.toml [lookup])
    key_list = ", ".join(sorted(keys))
    for m in cfg.policy.messages:
        # Only a recipient's query may claim to carry no identity information, and only lookup keys: the
        # flow model (model/law/flow.py) takes such a message to move nothing, so any other claim could hide a flow.
        if not m.carries_identity and (m.src != "recipient" or not set(m.items) <= keys):
            raise UserError(
                source,
                f"policy.messages[{m.id}].carries_identity",
                f"false; allowed: false only for a query from a recipient whose items are lookup keys ({key_list})",
            )
    msgs = {m.id for m in cfg.policy.messages}
    _binding_checks(cfg, source)
    for action, mid in cfg.policy.action_message.items():
        if mid not in msgs:
            raise UserError(
                source, f"policy.action_message.{action}", f"unknown message {mid!r}; allowed: {', '.join(sorted(msgs))}"
            )
    for store, its in cfg.policy.stores.items():
        if store not in ("prefecture", "center"):  # the stores the simulation keeps (model/sim/traffic.py)
            raise UserError(
                source, f"policy.stores.{store}", "no such store; allowed: prefecture, center (a CS keeps the whole register)"
            )
        for it in its:
            if it not in items:
                raise UserError(source, f"policy.stores.{store}", f"unknown item {it!r}; allowed: {', '.join(sorted(items))}")
    for rule in cfg.policy.rules:
        for a in rule.articles:
            if a not in cfg.statute.article:
                raise UserError(
                    source,
                    f"policy.rules[{rule.id}].articles",
                    f"unknown article {a!r}; allowed: {', '.join(cfg.statute.article)}",
                )
        for c in rule.constraints:
            if c not in CONSTRAINT_IDS:
                raise UserError(source, f"policy.rules[{rule.id}].constraints", f"unknown constraint {c!r}; allowed: C01..C16")
    for combo in cfg.policy.allowed_keys:
        if not combo or not set(combo) <= keys | {"wildcard"}:
            raise UserError(
                source,
                "policy.allowed_keys",
                f"bad key combination {list(combo)}; allowed keys: {key_list}, wildcard",
            )
    prov = cfg.provision
    for combo in prov.lookup_keys:
        if not combo or not set(combo) <= keys | {"wildcard"}:
            raise UserError(
                source, "provision.lookup_keys", f"bad key combination {list(combo)}; allowed keys: {key_list}, wildcard"
            )
    if len(prov.lookup_key_weights) != len(prov.lookup_keys) or min(prov.lookup_key_weights) < 0:
        raise UserError(
            source, "provision.lookup_key_weights", f"{len(prov.lookup_keys)} weights >= 0, one per provision.lookup_keys entry"
        )
    for e in cfg.network.link:
        for mid in e.messages:
            if mid not in msgs:
                raise UserError(
                    source, f"network.link[{e.id}].messages", f"unknown message {mid!r}; allowed: {', '.join(sorted(msgs))}"
                )
    if cfg.codes.check_digit != "mod11-weights2-7":
        raise UserError(source, "codes.check_digit", f"got {cfg.codes.check_digit!r}; allowed: 'mod11-weights2-7'")
    if not 1 <= cfg.codes.block_size <= 10**9 or 10**10 % cfg.codes.block_size:
        raise UserError(source, "codes.block_size", f"got {cfg.codes.block_size}; allowed: a divisor of 10**10 up to 10**9")
    if cfg.scenario.fiscal_year not in FISCAL_YEARS:
        allowed = f"{FISCAL_YEARS.start}..{FISCAL_YEARS.stop - 1}"
        raise UserError(source, "scenario.fiscal_year", f"got {cfg.scenario.fiscal_year}; allowed: {allowed}")
    day = cfg.center.outage.day
    if day != "busiest":
        first, last = date(cfg.scenario.fiscal_year, 4, 1), date(cfg.scenario.fiscal_year + 1, 3, 31)
        try:
            ok = first <= date.fromisoformat(day) <= last
        except ValueError:
            ok = False
        if not ok:
            raise UserError(source, "center.outage.day", f"got {day!r}; allowed: 'busiest' or a date {first} .. {last}")
    for rb in (x for x in cfg.registry.body if x.level == "private" and x.kind != "private"):  # no public body
        raise UserError(source, f"registry.body[{rb.id}].kind", f"got {rb.kind!r} for a private-level body; allowed: 'private'")
    level_of = {b.id: b.level for b in cfg.registry.body} | {b.id: b.level for b in cfg.statute.body}
    for row in cfg.statute.annex:
        for b in row.bodies:
            if b not in level_of:
                raise UserError(
                    source,
                    f"statute.annex[{row.id}].bodies",
                    f"unknown body {b!r}; allowed: a [[statute.body]] or [[registry.body]] id",
                )
            # annex 1 lists national bodies (Art. 30-7(3)); annexes 2-5 a prefecture's or a municipality's organs
            # (Art. 30-7(4)-(6), 30-8): an amendment may add rows and bodies, not a body of the other level
            want = "national" if row.table == 1 else "local"
            if level_of[b] != want:
                raise UserError(
                    source,
                    f"statute.annex[{row.id}].bodies",
                    f"{b!r} is a {level_of[b]} body; annex table {row.table} lists {want} bodies only "
                    f"({'Art. 30-7(3)' if row.table == 1 else 'Art. 30-7(4)-(6), 30-8'}); allowed: a {want} body",
                )
    reg = cfg.population.resident_register
    codes = {f"{i:02d}" for i in range(1, 48)}
    for code, n in reg.prefecture.items():
        if code not in codes or n <= 0:
            key = f"population.resident_register.prefecture.{code}"
            raise UserError(source, key, f"got {n!r}; allowed: a prefecture code 01..47 and a count > 0")
    given, every = sum(reg.prefecture.values()), len(reg.prefecture) == 47
    if (given != reg.total) if every else (given >= reg.total):
        allowed = f"all 47 summing to the total ({reg.total:,}; change `total` with them)" if every else "less than total"
        raise UserError(source, "population.resident_register", f"the prefectures given sum to {given:,}; allowed: {allowed}")
    people = reg.total
    for key in ("births", "deaths", "moves_between", "moves_within", "name_changes", "code_changes"):
        if getattr(cfg.events, key) > people:
            raise UserError(
                source,
                f"events.{key}",
                f"got {getattr(cfg.events, key):.6g}; allowed: at most the population a year ({people:,})",
            )
    if abs(cfg.events.social_change) > people:
        raise UserError(
            source,
            "events.social_change",
            f"got {cfg.events.social_change:.6g}; allowed: between minus and plus the population a year ({people:,})",
        )
    for key in ("copy_requests", "wide_area_copy_rate"):
        if getattr(cfg.events, key) > 100:
            raise UserError(
                source, f"events.{key}", f"got {getattr(cfg.events, key):.6g}; allowed: at most 100 a resident a year"
            )
    for key in ("national", "local"):
        if getattr(cfg.workload.volume, key) > 100 * people:
            raise UserError(
                source,
                f"workload.volume.{key}",
                f"got {getattr(cfg.workload.volume, key):,}; allowed: at most 100 a resident a year ({100 * people:,})",
            )
    for key, weights in (
        ("events.move_month_weight", cfg.events.move_month_weight),
        ("workload.month_weight", cfg.workload.month_weight),
        ("workload.hour_weight", cfg.workload.hour_weight),
        ("provision.existence_check_weights", cfg.provision.existence_check_weights),
        ("provision.copy_replacing_weights", cfg.provision.copy_replacing_weights),
        ("provision.lookup_key_weights", cfg.provision.lookup_key_weights),
    ):
        if min(weights) < 0 or sum(weights) <= 0:
            raise UserError(source, key, f"got {list(weights)}; allowed: weights >= 0 with a positive sum")
    p = cfg.provision
    for key, rows, weights in (
        ("existence_check", p.existence_check_rows, p.existence_check_weights),
        ("copy_replacing", p.copy_replacing_rows, p.copy_replacing_weights),
    ):
        if len(rows) != len(weights):
            raise UserError(source, f"provision.{key}_weights", f"has {len(weights)} entries; allowed: one per row ({len(rows)})")
        for r in rows:
            if r not in cfg.statute.rows or (key == "existence_check" and cfg.statute.rows[r].table != 1):
                allowed = "ids of annex table 1" if key == "existence_check" else "ids of annex tables 1-5"
                what = "not a row of the annex as it stands here (a row [provision] names cannot be deleted)"
                raise UserError(source, f"provision.{key}_rows", f"{r!r} is {what}; allowed: {allowed}")
    other_national, other_local = cfg.workload.volume.others(copies_national_share(cfg))
    if other_national < 0 or other_local < 0:
        level = "national" if other_national < 0 else "local"
        raise UserError(
            source,
            "workload.volume.copies_replaced",
            f"got {cfg.workload.volume.copies_replaced:,}; allowed: the copy-replacing lookups of annex "
            f"{'1' if level == 'national' else '2-5'} rows fit in workload.volume.{level} (with the batches)",
        )
    if cfg.provision.cohort_20_row not in cfg.statute.rows:
        raise UserError(source, "provision.cohort_20_row", f"unknown annex row {cfg.provision.cohort_20_row!r}")
    lgcodes = {r["lgcode"] for r in unit_rows()}  # every register-keeping unit of the year
    for key in ("self_inspection_exempt", "withholding"):
        for lg in getattr(cfg.organisation, key):
            if lg not in lgcodes:
                raise UserError(source, f"organisation.{key}", f"unknown municipality {lg!r}; allowed: 6-digit lgcodes")
    for lg, share in cfg.organisation.withholding_share.items():
        if lg not in lgcodes or not 0 < share <= 1:
            raise UserError(
                source, f"organisation.withholding_share.{lg}", f"got {share!r}; allowed: a 6-digit lgcode and a share in (0, 1]"
            )
    named = {b for r in cfg.statute.annex for b in r.bodies} | {b.id for b in cfg.registry.body}
    for b in cfg.identifiers.common_code_bodies:
        if b not in named:
            raise UserError(
                source, "identifiers.common_code_bodies", f"unknown body {b!r}; allowed: a body of the annex or [registry]"
            )
    if cfg.organisation.leak_penalty not in cfg.statute.penalty:
        raise UserError(
            source,
            "organisation.leak_penalty",
            f"got {cfg.organisation.leak_penalty!r}; allowed: {', '.join(cfg.statute.penalty)}",
        )
    prefs = {f"{i:02d}" for i in range(1, 48)}
    fault_checks(cfg, source, lgcodes, prefs)
    _shadow_checks(cfg, source, lgcodes)
    _merger_checks(cfg, source, lgcodes)
    if units:
        units_in_being(cfg, lambda _key, _lg: source)
    defect_checks(cfg, source, lgcodes)
    unit_share_checks(cfg, source, unit_populations())
    if bad := [pc for pc in cfg.provision.own_use_not_made if pc not in prefs]:
        raise UserError(source, "provision.own_use_not_made", f"got {bad[0]!r}; allowed: prefecture codes '01' .. '47'")
    for lg in cfg.network.disconnected:
        if lg not in lgcodes:
            raise UserError(
                source,
                "network.disconnected",
                f"unknown municipality {lg!r}; allowed: 6-digit lgcodes of model/data/municipalities.tsv",
            )


def _binding_checks(cfg: Config, source: str) -> None:
    """One reading of the bindings: the message each action sends and who asks for it are the simulation's and
    the Act's (model/law/policy.py ACTION_MESSAGE, PULL_PUSH); another binding would change what the proofs
    believe and nothing the simulation does, so it is refused, not read (issue 26)."""
    am, ar = cfg.policy.action_message, cfg.policy.action_requester
    by_message: dict[str, str] = {}
    for action, mid in am.items():
        if mid in by_message:
            raise UserError(
                source,
                f"policy.action_message.{action}",
                f"binds {mid!r}, which policy.action_message.{by_message[mid]} binds too; allowed: one action per message",
            )
        by_message[mid] = action
    fixed = ", ".join(f'{a} = "{m}"' for a, m in ACTION_MESSAGE.items())
    for action in sorted(set(am) | set(ACTION_MESSAGE)):
        if am.get(action) != ACTION_MESSAGE.get(action):
            got = f"{am[action]!r}" if action in am else "nothing"
            raise UserError(
                source,
                f"policy.action_message.{action}",
                f"binds {got}; allowed: {fixed} (the messages the simulation sends for these actions)",
            )
    for action in sorted(ar):  # an action left out reads the Act's (Policy.build)
        if ar[action] != PULL_PUSH.get(action):
            want = ", ".join(f'{a} = "{w}"' for a, w in PULL_PUSH.items())
            raise UserError(
                source,
                f"policy.action_requester.{action}",
                f"got {ar.get(action)!r}; allowed: {want} (who asks is fixed by the Act: the receiver asks for a provision "
                "or a disclosure, the sender reports a notification or a forward)",
            )


# Prefixes of the network's own node ids (model/world/topology.py) and of the flow model's residents
# (model/law/flow.py): a requester named so would be read as that kind (model/law/policy.py).
RESERVED_PREFIXES = ("cs:", "pref:", "governor:", "municipal_head:", "nat:", "private:", "resident:")
RESERVED_IDS = ("center", "jpki", "-", "unknown-party")


def _shadow_checks(cfg: Config, source: str, lgcodes: set[str]) -> None:
    """No id may stand for two things: a registry body named like a network node or a kind, an added
    node named like a built-in node, two added nodes or rules with one id."""
    named = [("registry", b.id) for b in cfg.registry.body] + [("statute", b.id) for b in cfg.statute.body]
    for section, ident in named:  # an annex body is registered as it is named (registry.register_annex_bodies)
        if ident in RESERVED_IDS or ident.startswith(RESERVED_PREFIXES):
            raise UserError(
                source,
                f"{section}.body[{ident}].id",
                f"shadows a network node or requester kind; allowed: an id without the prefixes {', '.join(RESERVED_PREFIXES)} "
                f"and other than {', '.join(RESERVED_IDS)}",
            )
    builtin = set(RESERVED_IDS) | {f"cs:{lg}" for lg in lgcodes} | {f"municipal_head:{lg}" for lg in lgcodes}
    builtin |= {f"pref:{p:02d}" for p in range(1, 48)} | {f"governor:{p:02d}" for p in range(1, 48)}
    bodies = {b.id for b in cfg.registry.body} | {b.id for b in cfg.statute.body}
    seen: set[str] = set()
    for n in cfg.network.node:
        prefixed = n.id.startswith(RESERVED_PREFIXES)
        if n.id in builtin or n.id in bodies or prefixed:
            what = "shadows a built-in node, a registry or annex body or a resident; allowed: a new id"
            raise UserError(source, f"network.node[{n.id}].id", what)
        if n.id in seen:
            raise UserError(source, f"network.node[{n.id}].id", "appears twice; allowed: one entry per id")
        seen.add(n.id)
    national = {b for r in cfg.statute.annex if r.table == 1 for b in r.bodies}
    national |= {b.id for b in cfg.registry.body if b.level == "national"}
    nodes = builtin | seen | {f"nat:{b}" for b in national}
    nodes |= {f"private:{b.id}" for b in cfg.registry.body if b.level == "private"}
    for e in cfg.network.link:
        for end, key in ((e.src, "src"), (e.dst, "dst")):
            if end not in nodes:
                what = f"unknown node {end!r}; allowed: a built-in node or a [[network.node]] id"
                raise UserError(source, f"network.link[{e.id}].{key}", what)
        if e.src == e.dst:
            raise UserError(source, f"network.link[{e.id}]", f"a link from {e.src!r} to itself; allowed: two different nodes")


@functools.cache
def established_in_the_year() -> tuple[str, ...]:
    """The units FY2006's mergers establish (新設), not in being as the year starts: the embedded defaults'
    `[network] pending` (model/data/defaults.toml, from MIC's list of mergers), the one source of that fact."""
    from jukinet.model.data import read_toml

    return tuple(read_toml("defaults.toml")["network"]["pending"])


def _merger_checks(cfg: Config, source: str, lgcodes: set[str]) -> None:
    """`[network] merged` and `pending` name units of the year; a merged unit's residents go to a unit in being
    (model.world.mergers); a unit out of being neither withholds, nor is disconnected, nor is exempt."""
    net = cfg.network
    allowed = "6-digit lgcodes of model/data/municipalities*.tsv"
    new_units = established_in_the_year()
    for lg in net.pending:
        if lg not in lgcodes:
            raise UserError(source, "network.pending", f"unknown municipality {lg!r}; allowed: {allowed}")
        if lg not in new_units:  # a unit in being as the year starts has a register and a CS (Art. 30-5)
            what = f"{lg!r} is in being as the year starts (no merger of the year establishes it)"
            fix = f"units FY2006's mergers establish: {', '.join(new_units)}; a unit out of Juki-net: network.disconnected"
            raise UserError(source, "network.pending", f"{what}; allowed: {fix}")
    for lg, to in net.merged.items():
        where = f"network.merged.{lg}"
        if lg not in lgcodes or to not in lgcodes:
            raise UserError(source, where, f"got {to!r}; allowed: {allowed} on both sides")
        if lg in net.pending:
            raise UserError(source, where, "a unit not yet established cannot merge; allowed: a unit in being")
        if to in net.pending or to in net.merged or to == lg:
            raise UserError(source, where, f"got {to!r}, not in being; allowed: a unit in being (not merged, not pending)")


def units_in_being(cfg: Config, source_of: Callable[[str, str], str]) -> None:
    """A unit merged away or not yet established neither withholds, nor is disconnected, nor is exempt
    (model.config.timeline PER_UNIT); `source_of(key, lgcode)` names the file that set it."""
    net = cfg.network
    gone = set(net.merged) | set(net.pending)
    for table, key in PER_UNIT:
        for lg in getattr(getattr(cfg, table), key):
            if lg in gone:
                why = f"merged into {net.merged[lg]!r}" if lg in net.merged else "not yet established (network.pending)"
                where = f"{table}.{key}"
                raise UserError(source_of(where, lg), where, f"{lg!r} is not in being ({why}); allowed: a unit in being")


def pools_fit(populations: dict[str, int], cfg: Config, source: str) -> None:
    """The code pools fit in the code space (model/law/codes.py), or the run and the proof would fail later."""
    from jukinet.model.law.codes import SPACE, blocks_needed

    codes = cfg.codes
    blocks = blocks_needed(populations, codes)
    need, have = sum(blocks.values()), SPACE // codes.block_size
    if need > have:
        raise UserError(
            source,
            "codes.block_size",
            f"{codes.block_size} with headroom {codes.headroom}: the pools need {need:,} blocks, only {have:,} exist; "
            "allowed: a block_size and headroom whose pools fit in the 10**10 codes",
        )
    short = sorted(lg for lg, pop in populations.items() if blocks[lg] * codes.block_size < 2 * pop)
    if short:  # the register's codes are drawn from half a pool at most (model/law/codes.py bulk_issue), births and
        lg = short[0]  # changes from the rest, never an old code again (Art. 30-3; C07)
        raise UserError(
            source,
            "codes.headroom",
            f"{codes.headroom} with block_size {codes.block_size}: the pool of {lg} holds {blocks[lg] * codes.block_size:,} "
            f"codes, fewer than twice its {populations[lg]:,} residents ({len(short):,} pools so); allowed: pools of at "
            "least twice the population (headroom >= 2), so that births and code changes never run out of unused codes",
        )
