"""SMT proofs of the constraint catalogue C01-C16 over the same policy data the simulation enforces."""
