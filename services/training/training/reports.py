"""Verification codes printed on Compliance Reports (seed 003; the training issue).

Each printed report gets a new code; `/verify/<code>` then shows the person's live status, so a
doctored or outdated printout is caught. A code is 16 characters from Crockford's base32 (80
bits from `secrets`), printed in groups of four so it can be typed from paper: no I, L, O or U,
and a reader's "O" or "l" still finds the code.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from common import audit
from common.clock import now as clock_now
from common.contracts.training import ReportCodeOut, VerifiedCodeOut
from common.errors import NotFound
from training.reports_models import ReportCode

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford's base32
LENGTH = 16                                     # 16 × 5 = 80 bits
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-]")
UNKNOWN = "No Compliance Report has this verification code."


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def canonical(code: str) -> str | None:
    """The 16 characters a typed or scanned code stands for, or None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 64:
        return None
    raw = _SEPARATORS.sub("", code).upper().translate(_READ_AS)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def printed(raw: str) -> str:
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii")).hexdigest()


def issue_code(session: Session, person_id, actor, at: datetime | None = None) -> ReportCodeOut:
    code = new_code()
    row = ReportCode(digest=digest(canonical(code)), person_id=uuid.UUID(str(person_id)),
                     issued_at=at or clock_now())
    session.add(row)
    # the code itself stays out of the audit log, like out of the table
    audit.record(session, actor, "report_code.issued", "person", row.person_id)
    return ReportCodeOut(code=code, person_id=row.person_id, issued_at=row.issued_at)


def verify_code(session: Session, code: str) -> VerifiedCodeOut:
    raw = canonical(code)
    row = session.get(ReportCode, digest(raw)) if raw else None
    if row is None:
        raise NotFound(UNKNOWN)
    return VerifiedCodeOut(code=printed(raw), person_id=row.person_id, issued_at=row.issued_at)
