"""Layer core: what every layer shares and nothing of ours is below: the error a user sees
(`UserError`), the immutable record base (`Frozen`), the stamp a run carries (version, commit,
seed, scenario hash) and atomic output (a folder or file appears whole or not at all).

Imports: nothing from `model` but its version.
"""
