"""SSN handling shared by the services that must match people by SSN without storing it:
normalising, and the keyed blind index (HMAC-SHA256 with a key derived from HUB_SSN_KEY).

accounts encrypts SSNs and keeps this index; rosters keeps only the index, to attach payroll
records to the right person (or hold them until that person appears).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from common.secrets import secret

SSN_PATTERN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")
# the same rule for clients, in the OpenAPI document (the server also refuses 000, 666, 9xx…)
SSN_JSON_PATTERN = r"^\d{3}-?\d{2}-?\d{4}$"


def normalise_ssn(raw: str) -> str:
    """'123-45-6789' or '123456789' → '123456789'; anything else is refused."""
    match = SSN_PATTERN.match((raw or "").strip())
    if not match:
        raise ValueError("SSN must be 9 digits, like 123-45-6789")
    digits = "".join(match.groups())
    if digits[:3] in ("000", "666") or digits[0] == "9" or digits[3:5] == "00" or digits[5:] == "0000":
        raise ValueError("That is not a valid SSN")
    return digits


def derive_key(purpose: bytes, config=None) -> bytes:
    """The key for `purpose`, derived from HUB_SSN_KEY (refused if unset, see common.secrets)."""
    return _derived(secret("HUB_SSN_KEY", config).encode(), purpose)


@lru_cache(maxsize=16)
def _derived(master: bytes, purpose: bytes) -> bytes:
    # once per process and key, not once per record: a payroll batch indexes thousands of SSNs
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def ssn_index(ssn: str, config=None) -> str:
    return hmac.new(derive_key(b"ssn-blind-index", config), ssn.encode(), hashlib.sha256).hexdigest()
