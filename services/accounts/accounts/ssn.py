"""SSNs: encrypted at rest (AES-GCM) with a keyed blind index (HMAC-SHA256) for exact search.

Both keys are derived from HUB_SSN_KEY with HKDF so one secret serves both purposes without
reusing a key. Rotating HUB_SSN_KEY needs a re-encryption job (not written yet).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from common import config as hub_config

DEV_SSN_KEY = "dev-only-ssn-key-change-me"
SSN_PATTERN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")


def normalise_ssn(raw: str) -> str:
    """'123-45-6789' or '123456789' → '123456789'; anything else is refused."""
    match = SSN_PATTERN.match((raw or "").strip())
    if not match:
        raise ValueError("SSN must be 9 digits, like 123-45-6789")
    digits = "".join(match.groups())
    if digits[:3] in ("000", "666") or digits[0] == "9" or digits[3:5] == "00" or digits[5:] == "0000":
        raise ValueError("That is not a valid SSN")
    return digits


def _derive(purpose: bytes, config=None) -> bytes:
    secret = hub_config.setting("HUB_SSN_KEY", DEV_SSN_KEY, config).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def encrypt_ssn(ssn: str, config=None) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(_derive(b"ssn-encryption", config)).encrypt(nonce, ssn.encode(), None)


def decrypt_ssn(blob: bytes, config=None) -> str:
    return AESGCM(_derive(b"ssn-encryption", config)).decrypt(blob[:12], blob[12:], None).decode()


def ssn_index(ssn: str, config=None) -> str:
    return hmac.new(_derive(b"ssn-blind-index", config), ssn.encode(), hashlib.sha256).hexdigest()


def mask_ssn(ssn: str) -> str:
    return f"***-**-{ssn[-4:]}"
