"""Layer cli: the `jukinet` command (`main`) and its subcommands, one module per group.  Argument
checks and every error a user sees end here as one line and exit code 2.

Imports: every layer, and proofs/.
"""
