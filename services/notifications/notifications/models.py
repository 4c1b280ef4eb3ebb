from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.daily import DailyRunMixin
from common.db import UTCDateTime, make_base

Base = make_base()


class Message(Base):
    """A Message Center entry for one person."""
    __tablename__ = "messages"
    __table_args__ = (
        # the Portal header asks for the unread count on every page: one small index answers it
        sa.Index("ix_messages_unread_inbox", "person_id",
                 postgresql_where=sa.text("read_at IS NULL AND archived_at IS NULL"),
                 sqlite_where=sa.text("read_at IS NULL AND archived_at IS NULL")),
        sa.Index("ix_messages_person_created", "person_id", "created_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the Hub path of the place to act (/portal/documents, /portal/classifications/80-GRIP, …)
    link: Mapped[str | None] = mapped_column(sa.String(300))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Recipient(Base):
    """Where to e-mail a person: fed only by accounts.contact_details_changed."""
    __tablename__ = "recipients"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    email_notifications: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class OutgoingEmail(Base):
    """An e-mail waiting to go, gone, or refused. The address is looked up when it is sent."""
    __tablename__ = "outgoing_emails"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    # None for an e-mail to someone with no person record (an anonymous Contact Us sender)
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # set only when there is no person to look the address up for (person_id is None)
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    # the same words laid out in the Hub's look, sent beside `body` (multipart/alternative)
    html: Mapped[str | None] = mapped_column(sa.Text)
    # "notification" mirrors a message and respects the person's opt-out; "transactional"
    # (invitation, password reset) always goes, and its secret link is erased once sent
    kind: Mapped[str] = mapped_column(sa.String(20), default="notification")
    # pending → sent | failed (refused for good) | skipped (person opted out)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_to: Mapped[str | None] = mapped_column(sa.String(254))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the Message Center category it mirrors (None for account e-mails with no message)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    # goes whatever the person chose (deadlines, account security, suspensions)
    mandatory: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # a row held for the daily digest (status "digest") names the digest e-mail that carried it
    digest_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)


class EmailPreference(Base):
    """Which Message Center categories also come by e-mail, and whether the rest wait for one
    daily digest. No row: every category by e-mail, no digest."""
    __tablename__ = "email_preferences"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    # JSON object category -> bool; categories not named come by e-mail
    email: Mapped[str] = mapped_column(sa.Text, default="{}")
    digest: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestRun(DailyRunMixin, Base):
    """The daily digest of one day: the replica that inserts the row sends it (common.daily)."""
    __tablename__ = "digest_runs"


from notifications import bulletins_models  # noqa: E402,F401
