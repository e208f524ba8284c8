"""Layer cli: the `jukinet` command (`main`) and its subcommands, one module per group.  Argument
checks and every error a user sees end here as one line and exit code 2.

Imports: every layer, and proofs/.
"""

from __future__ import annotations

import argparse


def number(text: str) -> float:
    """A number as the command line takes it: ASCII digits only (Python's float() also reads full-width ones)."""
    if not text.isascii():
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a number in ASCII digits")
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: a number") from None
