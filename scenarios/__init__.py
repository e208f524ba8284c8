"""The shipped scenarios (one TOML file per question an analyst asks), the mutant configurations
(mutants/: each must be VIOLATED on the constraint it names) and the lawful changes (lawful/: each
must stay all PROVED).  A package only so that a wheel carries them as data."""
