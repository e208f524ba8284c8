"""Layer law: the Act and the system configuration as data, and their meaning.  `statute` (items,
articles, annex, constraint catalogue), `policy` (rules, message schemas, stores) with `decide`,
the plain evaluator of one request; `permits` (is some request permitted for this action); `codes`
(the 11-digit resident code); `flow` (who may hold what, and every step an item can take: the
semantics `proofs/` compiles to SMT and the audit checks records against).

Imports: core, data.
"""
