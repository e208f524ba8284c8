"""The Juki card's chip and JPKI: real keys of the configured type sign and verify; a changed
message, another card's signature or a revoked certificate is rejected; an unknown key type is
refused when the scenario loads ([cards].signature_algorithm)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from model.config.scenario import load
from model.core.errors import UserError
from model.sim.card import KEYS, JPKIAuthority, issue_card


@pytest.mark.parametrize("algorithm", KEYS)
def test_signatures_verify_and_tampering_is_caught(algorithm: str) -> None:
    rng = np.random.default_rng(1)
    jpki = JPKIAuthority(2006, rng, algorithm)
    card = issue_card(12345678901, 0.0, ("name",), 3, 10, rng, algorithm)
    other = issue_card(10987654321, 0.0, ("name",), 3, 10, rng, algorithm)
    cert = jpki.issue(card.chip, 0.0)
    jpki.issue(other.chip, 0.0)
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey if algorithm.startswith("rsa") else ec.EllipticCurvePublicKey)
    if algorithm.startswith("rsa"):
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == int(algorithm[4:])
    data = b"e-application"
    sig = card.chip.sign(data)
    assert jpki.verify(cert, sig, data, 100.0) == (True, "valid")
    assert jpki.verify(cert, sig, b"e-application, altered", 100.0)[1] == "signature does not verify"
    assert jpki.verify(cert, other.chip.sign(data), data, 100.0)[1] == "signature does not verify"
    jpki.revoke(cert, 50.0)
    assert jpki.verify(cert, sig, data, 100.0) == (False, "certificate revoked (name or address changed)")


def test_an_unknown_signature_algorithm_is_refused(scenario_file: Callable[[str], Path]) -> None:
    with pytest.raises(UserError, match="cards.signature_algorithm: got 'dsa'"):
        load(scenario_file("[cards]\nsignature_algorithm = 'dsa'\n"))
