"""SSNs in the accounts service: encrypted at rest (AES-GCM), with the shared blind index
(common.identity) for exact-match look-ups. Rotating HUB_SSN_KEY needs a re-encryption job
(not written yet)."""
from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from common.identity import derive_key, normalise_ssn, ssn_index  # noqa: F401  (used via this module)


def encrypt_ssn(ssn: str, config=None) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(derive_key(b"ssn-encryption", config)).encrypt(nonce, ssn.encode(), None)


def decrypt_ssn(blob: bytes, config=None) -> str:
    return AESGCM(derive_key(b"ssn-encryption", config)).decrypt(blob[:12], blob[12:], None).decode()


def mask_ssn(ssn: str) -> str:
    return f"***-**-{ssn[-4:]}"
