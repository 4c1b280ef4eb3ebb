"""The mail loop: sends pending OutgoingEmail rows, with retries, and reports refusals."""
from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from common import config as hub_config
from common.background import PollingLoop
from common.clock import now
from common.db import Database
from common.dependencies import sibling
from common.events.notifications import EmailFailed
from common.metrics import EMAILS
from common.publisher import outbox_row
from notifications.mail import PermanentFailure, TemporaryFailure, build_email, transport_from_config
from notifications.models import OutgoingEmail, Recipient

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 8
# How long an e-mail waits for its recipient's address (the contact event may come later).
ADDRESS_WAIT = timedelta(days=1)
# How long a claimed e-mail is left to the replica that claimed it before another may retry it.
SEND_LEASE = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** attempts, 6 * 3600))


def send_due(session_factory, transport, mail_from: str) -> int:
    """Send what is due; returns how many rows were handled."""
    with session_factory() as session:
        due = session.scalars(
            sa.select(OutgoingEmail).where(OutgoingEmail.status == "pending",
                                           OutgoingEmail.next_attempt_at <= now())
            .order_by(OutgoingEmail.next_attempt_at).limit(BATCH)).all()
        for email in due:
            # claim it first, so two replicas never both send it: whoever moves its
            # next_attempt_at from the value read sends it; the lease covers a crash mid-send
            claimed = session.execute(sa.update(OutgoingEmail).where(
                OutgoingEmail.id == email.id, OutgoingEmail.status == "pending",
                OutgoingEmail.next_attempt_at == email.next_attempt_at)
                .values(next_attempt_at=now() + SEND_LEASE)
                .execution_options(synchronize_session=False)).rowcount
            session.commit()
            if claimed != 1:
                continue
            session.refresh(email)
            # read the address as late as possible: it may have arrived during this batch
            recipient = (session.get(Recipient, email.person_id, populate_existing=True)
                         if email.person_id is not None else None)
            # release the connection before talking to the mail server (SQLite has only one
            # per process, see common/db.py)
            session.commit()
            _deliver(session, email, recipient, transport, mail_from)
            session.commit()
        return len(due)


def _deliver(session, row: OutgoingEmail, recipient: Recipient | None, transport, mail_from):
    if row.to_address:
        _deliver_to_address(row, transport, mail_from)
        return
    # the accounts switch is the master switch, except for what must always come (account
    # security, deadlines, suspensions)
    if (recipient is not None and not recipient.email_notifications and row.kind != "transactional"
            and not row.mandatory):
        row.status = "skipped"
        return
    if recipient is None or not recipient.email:
        if now() - row.created_at > ADDRESS_WAIT:
            row.status, row.last_error = "failed", "no e-mail address on file"
            EMAILS.labels("failed").inc()
        else:
            row.next_attempt_at = now() + timedelta(seconds=30)
        return
    row.attempts += 1
    try:
        transport.send(build_email(row.id, recipient.email, row.subject, row.body, mail_from, row.html))
    except PermanentFailure as exc:
        row.status, row.last_error = "failed", str(exc)
        session.add(outbox_row(session.info["base"], EmailFailed(
            person_id=row.person_id, email_id=row.id, smtp_code=exc.code, reason=exc.reason)))
        log.warning("e-mail %s refused for good: %s", row.id, exc)
        EMAILS.labels("failed").inc()
        return
    except TemporaryFailure as exc:
        row.last_error = str(exc)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now() + backoff(row.attempts)
        log.warning("e-mail %s not sent yet (attempt %d): %s", row.id, row.attempts, exc)
        EMAILS.labels("failed" if row.status == "failed" else "deferred").inc()
        return
    row.status, row.sent_to, row.sent_at = "sent", recipient.email, now()
    EMAILS.labels("sent").inc()
    if row.kind == "transactional":
        row.body = "[sent; its single-use link is not kept]"
        row.html = None


def _deliver_to_address(row: OutgoingEmail, transport, mail_from) -> None:
    """An e-mail to someone with no person record (an anonymous Contact Us sender): no
    preferences to respect and no account to mark undeliverable when the address is refused."""
    row.attempts += 1
    try:
        transport.send(build_email(row.id, row.to_address, row.subject, row.body, mail_from, row.html))
    except PermanentFailure as exc:
        row.status, row.last_error = "failed", str(exc)
        log.warning("e-mail %s refused for good: %s", row.id, exc)
        EMAILS.labels("failed").inc()
        return
    except TemporaryFailure as exc:
        row.last_error = str(exc)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now() + backoff(row.attempts)
        log.warning("e-mail %s not sent yet (attempt %d): %s", row.id, row.attempts, exc)
        EMAILS.labels("failed" if row.status == "failed" else "deferred").inc()
        return
    row.status, row.sent_to, row.sent_at = "sent", row.to_address, now()
    EMAILS.labels("sent").inc()


class MailSender(PollingLoop):
    interval_seconds = 2.0

    def setup(self):
        super().setup()
        self.database = sibling(self.container, Database)
        self.transport = transport_from_config(self.container.config)
        self.mail_from = hub_config.mail_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self

    def run_once(self) -> bool:
        return send_due(self.database.session_factory, self.transport, self.mail_from) == BATCH
