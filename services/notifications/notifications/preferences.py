"""E-mail preferences, the daily digest and the record of sends: plain functions over a session.

A person chooses which Message Center categories also come by e-mail, and whether the ones that
are not mandatory wait for one daily digest. Deadlines, account security and suspensions always
come (MANDATORY_EMAIL, and messages posted as mandatory). The accounts `email_notifications`
switch stays the master switch, applied when an e-mail is sent (sender.py), except for the
mandatory ones.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common.clock import now
from common.contracts.notifications import (
    CATEGORIES,
    MANDATORY_EMAIL,
    DeliveriesOut,
    DeliveryOut,
    PreferencesIn,
    PreferencesOut,
)
from notifications.models import EmailPreference, OutgoingEmail, Recipient
from notifications.render import render

# OutgoingEmail.status: pending → sent | failed | skipped (master switch off); "digest" waits for
# the daily digest, then becomes "digested" (carried by the digest e-mail `digest_id`)
HELD_FOR_DIGEST = "digest"
DIGESTED = "digested"


def _choices(row: EmailPreference | None) -> dict[str, bool]:
    chosen = json.loads(row.email) if row is not None and row.email else {}
    return {category: category in MANDATORY_EMAIL or bool(chosen.get(category, True)) for category in CATEGORIES}


def get_preferences(session: Session, person_id: uuid.UUID) -> PreferencesOut:
    row = session.get(EmailPreference, person_id)
    return PreferencesOut(email=_choices(row), digest=bool(row and row.digest), mandatory=list(MANDATORY_EMAIL))


def update_preferences(session: Session, person_id: uuid.UUID, payload: PreferencesIn) -> tuple[PreferencesOut, dict]:
    """Returns the new preferences and what changed (for the audit). A mandatory category asked
    off stays on: the answer shows it on."""
    row = session.get(EmailPreference, person_id)
    if row is None:
        row = EmailPreference(person_id=person_id, email="{}", digest=False, updated_at=now())
        session.add(row)
    chosen = json.loads(row.email or "{}")
    changed: dict = {}
    for category, wanted in (payload.email or {}).items():
        if category in MANDATORY_EMAIL:
            continue
        if chosen.get(category, True) != wanted:
            changed[category] = wanted
        chosen[category] = wanted
    if payload.digest is not None and payload.digest != row.digest:
        changed["digest"] = payload.digest
        row.digest = payload.digest
    row.email = json.dumps(chosen, sort_keys=True)
    row.updated_at = now()
    return get_preferences(session, person_id), changed


def email_route(session: Session, person_id: uuid.UUID, category: str, mandatory: bool) -> str | None:
    """How a message's e-mail goes: "pending" (now), HELD_FOR_DIGEST, or None (not by e-mail)."""
    if mandatory or category in MANDATORY_EMAIL:
        return "pending"
    row = session.get(EmailPreference, person_id)
    if category in CATEGORIES and not _choices(row)[category]:
        return None
    return HELD_FOR_DIGEST if row is not None and row.digest else "pending"


# --- the daily digest -------------------------------------------------------------------------

def gather_digests(session: Session, public_url: str, before: datetime | None = None) -> int:
    """One e-mail per person for the messages held for their digest (created before `before`);
    returns how many digests were queued. Safe to run again: gathered rows are marked."""
    before = before or now()
    held = session.scalars(sa.select(OutgoingEmail).where(
        OutgoingEmail.status == HELD_FOR_DIGEST, OutgoingEmail.created_at <= before)
        .order_by(OutgoingEmail.person_id, OutgoingEmail.created_at).with_for_update(skip_locked=True)).all()
    by_person: dict[uuid.UUID, list[OutgoingEmail]] = {}
    for row in held:
        by_person.setdefault(row.person_id, []).append(row)
    for person_id, rows in by_person.items():
        recipient = session.get(Recipient, person_id)
        subject = f"Your Industry Hub digest: {len(rows)} new message{'' if len(rows) == 1 else 's'}"
        words = render("digest", subject=subject, first_name=recipient.first_name if recipient else None,
                       public_url=public_url, action_url=f"{public_url}/portal/messages",
                       items=[{"subject": r.subject, "category": r.category} for r in rows])
        digest = OutgoingEmail(id=uuid.uuid4(), person_id=person_id, message_id=None, kind="digest",
                               subject=subject, body=words.text, html=words.html, status="pending",
                               category=None, mandatory=False, attempts=0, next_attempt_at=now(),
                               created_at=now())
        session.add(digest)
        for row in rows:
            row.status, row.digest_id = DIGESTED, digest.id
    return len(by_person)


# --- the record of sends, for staff ---------------------------------------------------------------

def _delivery(row: OutgoingEmail) -> DeliveryOut:
    if row.status == "sent":
        status, reason = "sent", None
    elif row.status == "failed":
        status, reason = "failed", row.last_error
    elif row.status == "skipped":
        status, reason = "failed", "not sent: e-mail notifications are turned off in My Account"
    else:  # pending, or held for the digest
        status = "queued"
        reason = row.last_error or ("waiting for the daily digest" if row.status == HELD_FOR_DIGEST else None)
    kind = row.kind if row.kind in ("digest", "case") else (row.category or row.kind)
    return DeliveryOut(id=row.id, kind=kind, subject=row.subject, status=status, attempts=row.attempts or 0,
                       reason=reason, created_at=row.created_at, sent_at=row.sent_at)


def list_deliveries(session: Session, person_id: uuid.UUID, limit: int = 200) -> DeliveriesOut:
    """Every e-mail to a person, newest first, and its outcome. Rows gathered into a digest show
    as the digest that carried them. No address and no body: only what was sent and how it went."""
    rows = session.scalars(sa.select(OutgoingEmail).where(
        OutgoingEmail.person_id == person_id, OutgoingEmail.status != DIGESTED)
        .order_by(OutgoingEmail.created_at.desc()).limit(limit)).all()
    undeliverable = session.scalar(sa.select(sa.func.count()).select_from(OutgoingEmail).where(
        OutgoingEmail.person_id == person_id, OutgoingEmail.status == "failed",
        OutgoingEmail.last_error.like("5%"))) or 0
    last_sent = session.scalar(sa.select(sa.func.max(OutgoingEmail.sent_at)).where(
        OutgoingEmail.person_id == person_id, OutgoingEmail.status == "sent"))
    last_refused = session.scalar(sa.select(sa.func.max(OutgoingEmail.created_at)).where(
        OutgoingEmail.person_id == person_id, OutgoingEmail.status == "failed",
        OutgoingEmail.last_error.like("5%")))
    # refused for good and nothing delivered since: the address needs fixing
    return DeliveriesOut(deliveries=[_delivery(r) for r in rows],
                         email_undeliverable=bool(undeliverable and (last_sent is None or last_sent < last_refused)))
