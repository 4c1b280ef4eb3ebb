from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime, make_base

Base = make_base()


class Person(Base):
    """An Industry Professional. May exist before (or without) a portal account: migrated,
    created by staff, or from a payroll record or an employer's proof of employment."""
    __tablename__ = "people"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    il_number: Mapped[str] = mapped_column(sa.String(10), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(sa.Date)
    # AES-GCM ciphertext of the SSN, and an HMAC of it for exact-match look-ups (accounts.ssn)
    ssn_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ssn_index: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    email_undeliverable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    address_line1: Mapped[str | None] = mapped_column(sa.String(200))
    address_line2: Mapped[str | None] = mapped_column(sa.String(200))
    city: Mapped[str | None] = mapped_column(sa.String(100))
    state: Mapped[str | None] = mapped_column(sa.String(40))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    email_notifications: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    origin: Mapped[str] = mapped_column(sa.String(20), default="create_account")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Account(Base):
    """A login. Industry Professionals have one per person; staff, reps and employers may have
    no person record."""
    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[str] = mapped_column(sa.String(200), default="industry_professional")
    # union_rep: the locals they represent, comma-separated ("44,80"); employer: the company
    locals: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiSession(Base):
    """A logged-in session; only the SHA-256 of its bearer token is stored."""
    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeToken(Base):
    """A single-use link: an invitation to claim (7 days) or a password reset (1 hour)."""
    __tablename__ = "one_time_tokens"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))  # "claim" | "reset"
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed log-ins counted per client address, per account e-mail at an address, and per
    account e-mail from anywhere (accounts.throttle)."""
    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KnownAddress(Base):
    """Client addresses an account logged in from successfully: a correct password from one of
    them is let in even while the account is being guessed at from elsewhere (accounts.throttle).
    Forgotten after 90 days unused."""
    __tablename__ = "known_addresses"
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(45), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonLocal(Base):
    """Which locals a person applied to or is on the roster of (from rosters events), so a union
    rep's view can be scoped to their own local."""
    __tablename__ = "person_locals"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    local: Mapped[str] = mapped_column(sa.String(20), primary_key=True, index=True)


class PayrollClient(Base):
    """A payroll company's machine credential. Only a SHA-256 of the key is kept (the key is
    random and long, so a slow hash adds nothing); rotating issues a new key and revokes the old."""
    __tablename__ = "payroll_clients"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(200))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- legacy import (issue 11; accounts.imports) ----------------------------------------------------

class ImportJob(Base):
    """One uploaded CSV file being imported in the background. `done` is the number of data rows
    handled and committed: the point a restart resumes from."""
    __tablename__ = "import_jobs"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    storage_key: Mapped[str] = mapped_column(sa.String(300))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    send_invitations: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # queued | running | done | failed
    total: Mapped[int | None] = mapped_column(sa.Integer)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    created: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated: Mapped[int] = mapped_column(sa.Integer, default=0)
    unchanged: Mapped[int] = mapped_column(sa.Integer, default=0)
    rejected: Mapped[int] = mapped_column(sa.Integer, default=0)
    warnings: Mapped[str] = mapped_column(sa.Text, default="")
    error: Mapped[str | None] = mapped_column(sa.Text)
    actor: Mapped[str] = mapped_column(sa.Text, default="{}")
    lease_token: Mapped[str | None] = mapped_column(sa.String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportRejection(Base):
    """A row of an import that was not applied, by its line in the file (the header is line 1)."""
    __tablename__ = "import_rejections"
    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("import_jobs.id"), primary_key=True)
    line: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(500))


class ImportInvitation(Base):
    """A person an import invited to claim their account: never invited twice by imports."""
    __tablename__ = "import_invitations"
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), primary_key=True)
    job_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvitationDrive(Base):
    """Claim invitations going out in the background to everyone imported who was waiting for one
    when staff pressed "Send invitations" (accounts.import_invitations): the import timer carries it
    on, a batch at a time, to the end. `active` is true while queued or running and null afterwards:
    being unique, it keeps to one drive at a time."""
    __tablename__ = "invitation_drives"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # queued | running | done | failed
    active: Mapped[bool | None] = mapped_column(sa.Boolean, unique=True)
    import_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    invited: Mapped[int] = mapped_column(sa.Integer, default=0)
    total_at_start: Mapped[int] = mapped_column(sa.Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(sa.Text, default="{}")
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)
    lease_token: Mapped[str | None] = mapped_column(sa.String(40))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
