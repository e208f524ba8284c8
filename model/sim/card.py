"""The Juki card (住民基本台帳カード) and public personal authentication (JPKI).

A card is issued on request by the holder's municipality (Art. 30-44).  Its face shows the
configured face items (never the resident code: C15); its chip has a basic area (the code, the
mutual-authentication data, the PIN), a JPKI area (a signing key generated in the chip that never
leaves it, and its certificate) and an independent-use area (municipal services' own user
numbers, which are not the code).  Signatures are real: the chip signs with its key, the
receiving body verifies the signature and the certificate against the JPKI certification body,
which revokes certificates when the holder's name or address changes (Art. 30-11(9)).
The key type is the scenario's `[cards].signature_algorithm` (`KEYS`): "rsa-1024" (RSA-1024 with
SHA-1, PKCS#1 v1.5: JPKI of the Juki card era, Nikkei ITpro), "rsa-2048" (SHA-256), or
"ecdsa-p256" (SHA-256); certificates are signed with SHA-256 by a root key of the same type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from jukinet.model.config.settings import PIN_SPACE

EPOCH = dt.datetime(2006, 4, 1, tzinfo=dt.UTC)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
KEYS = ("ecdsa-p256", "rsa-1024", "rsa-2048")  # the values `[cards].signature_algorithm` allows


def new_key(algorithm: str) -> PrivateKey:
    """A fresh private key of this algorithm (one of KEYS)."""
    if algorithm == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm in ("rsa-1024", "rsa-2048"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    raise ValueError(f"signature algorithm {algorithm!r}; allowed: {', '.join(KEYS)}")


class KeyPool:
    """Real keys that a run's chips share (`[cards] key_pool` [ASSUMPTION]): a chip takes key `code mod size` of
    its algorithm, made the first time any chip needs it.  A real chip makes its own key; sharing changes no
    record of a run (no key is in one: signatures are verified, certificates revoked, as before), only its time:
    one RSA-1024 key takes about 10 ms, and a run makes a certificate for every holder who signs.  Size 0: every
    chip makes its own key, as the real cards did."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._keys: dict[tuple[str, int], PrivateKey] = {}

    def key(self, algorithm: str, code: int) -> PrivateKey:
        if self.size == 0:
            return new_key(algorithm)
        slot = (algorithm, code % self.size)
        k = self._keys.get(slot)
        if k is None:
            k = self._keys[slot] = new_key(algorithm)
        return k

    @property
    def made(self) -> int:
        """Keys made so far (pooled ones only)."""
        return len(self._keys)


def key_algorithm(key: object) -> str:
    """The KEYS value of a chip's public key (cards of two types coexist after a new card type's date)."""
    if isinstance(key, rsa.RSAPublicKey) and key.key_size in (1024, 2048):
        return f"rsa-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return "ecdsa-p256"
    raise ValueError(f"a {type(key).__name__} is none of {', '.join(KEYS)}")


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return hashes.SHA1() if algorithm == "rsa-1024" else hashes.SHA256()  # noqa: S303 - JPKI's own hash then


def sign(key: PrivateKey, algorithm: str, data: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), _hash(algorithm))
    return key.sign(data, ec.ECDSA(_hash(algorithm)))


def verify(key: object, algorithm: str, signature: bytes, data: bytes) -> None:
    """Raises InvalidSignature unless `signature` is this key's signature of `data` under `algorithm`."""
    if algorithm.startswith("rsa") and isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), _hash(algorithm))
    elif algorithm == "ecdsa-p256" and isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(_hash(algorithm)))
    else:
        raise InvalidSignature(f"a {type(key).__name__} cannot verify a {algorithm} signature")


def when(t: float, fiscal_year: int) -> dt.datetime:
    return dt.datetime(fiscal_year, 4, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=t)


class CardLocked(Exception):
    pass


@dataclass
class Chip:
    """The card's IC chip.  The private key is an attribute of the chip only; nothing returns it."""

    code: int  # basic area: the resident code, in the chip only
    _pin: str
    user_numbers: dict[str, int]  # independent-use area: service -> user number (not the code)
    pin_tries: int
    algorithm: str = "ecdsa-p256"  # one of KEYS
    failures: int = 0
    locked: bool = False
    _key: PrivateKey | None = field(default=None, repr=False)
    certificate: x509.Certificate | None = None
    pool: KeyPool | None = field(default=None, repr=False)  # where the chip's key comes from (None: its own)

    def check_pin(self, pin: str) -> bool:
        """PIN guards the basic area (C15): locked after `pin_tries` wrong entries in a row."""
        if self.locked:
            raise CardLocked(f"card of {self.code:011d} is locked")
        if pin == self._pin:
            self.failures = 0
            return True
        self.failures += 1
        if self.failures >= self.pin_tries:
            self.locked = True
        return False

    def reset_pin(self, pin: str) -> None:
        """At the municipal counter, after identity is checked."""
        self._pin, self.failures, self.locked = pin, 0, False

    def public_key(self) -> PublicKey:
        if self._key is None:
            self._key = self.pool.key(self.algorithm, self.code) if self.pool is not None else new_key(self.algorithm)
        return self._key.public_key()

    def sign(self, data: bytes) -> bytes:
        """Sign inside the chip (the key never leaves it)."""
        if self._key is None:
            raise ValueError("no JPKI key in this chip")
        return sign(self._key, self.algorithm, data)


@dataclass(frozen=True)
class Card:
    chip: Chip
    face: dict[str, str]  # what is printed on the card
    issued: float
    expires: float


class JPKIAuthority:
    """The certification body: issues signing certificates, revokes them, verifies signatures."""

    def __init__(self, fiscal_year: int, rng: np.random.Generator, algorithm: str = "ecdsa-p256") -> None:
        self.fiscal_year = fiscal_year
        self.rng = rng
        self.algorithm = algorithm
        self._key = new_key(algorithm)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "JPKI certification body (jukinet)")])
        start = when(-365 * 86400.0, fiscal_year)
        self.root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(1)
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.revoked: dict[int, float] = {}

    def issue(self, chip: Chip, t: float, years: int = 3) -> x509.Certificate:
        """A signing certificate for the chip's key, valid 3 years (MIC White Paper 2010)."""
        start = when(t, self.fiscal_year)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.SERIAL_NUMBER, f"holder-{int(self.rng.integers(1 << 62))}")]))
            .issuer_name(self.root.subject)
            .public_key(chip.public_key())
            .serial_number(int(self.rng.integers(2, 1 << 62)))
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365 * years))
            .sign(self._key, hashes.SHA256())
        )
        chip.certificate = cert
        return cert

    def revoke(self, cert: x509.Certificate, t: float) -> None:
        self.revoked.setdefault(cert.serial_number, t)

    def verify(self, cert: x509.Certificate, signature: bytes, data: bytes, t: float) -> tuple[bool, str]:
        """What the receiving body checks: the certificate (issuer, validity, revocation), then the signature."""
        try:
            cert.verify_directly_issued_by(self.root)
        except (ValueError, TypeError, InvalidSignature):
            return False, "certificate not issued by the certification body"
        now = when(t, self.fiscal_year)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False, "certificate expired"
        if cert.serial_number in self.revoked and self.revoked[cert.serial_number] <= t:
            return False, "certificate revoked (name or address changed)"
        try:
            verify(cert.public_key(), key_algorithm(cert.public_key()), signature, data)  # the chip's own type
        except InvalidSignature:
            return False, "signature does not verify"
        return True, "valid"


def issue_card(
    code: int,
    t: float,
    face_items: tuple[str, ...],
    pin_tries: int,
    validity_years: int,
    rng: np.random.Generator,
    algorithm: str = "ecdsa-p256",
    pool: KeyPool | None = None,
) -> Card:
    """A new card: face from the configured items, code in the chip, fresh PIN and user numbers; its JPKI key
    from `pool` when one is given (`KeyPool`), else its own."""
    pin = f"{int(rng.integers(PIN_SPACE)):0{len(str(PIN_SPACE - 1))}d}"
    user_numbers = {}
    for service in ("certificate_kiosk", "library"):
        number = int(rng.integers(10**9, 10**10))
        while number == code // 10:  # an independent-area number is never the code (C15)
            number = int(rng.integers(10**9, 10**10))
        user_numbers[service] = number
    chip = Chip(code, pin, user_numbers, pin_tries, algorithm, pool=pool)
    values = {
        "name": "(holder's name)",
        "issuer": "(municipality)",
        "expiry": f"+{validity_years}y",
        "dob": "(date of birth)",
        "sex": "(sex)",
        "address": "(address)",
        "photo": "(photo)",
        "code": f"{code:011d}",
    }
    face = {item: values.get(item, "?") for item in face_items}
    return Card(chip, face, t, t + validity_years * 365.25 * 86400)
