"""Layer config: a scenario.  `scenario` loads a TOML file, merges it onto the embedded defaults,
validates it (every refusal one line naming the file and key) and builds its law and world on
demand; `settings` holds the simulation's own knobs (events, cards, operators, links).

Imports: core, data, law, world.
"""
