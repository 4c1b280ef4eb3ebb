from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime, make_base

Base = make_base()


class Person(Base):
    """An Industry Professional. May exist before (or without) a portal account."""
    __tablename__ = "people"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    il_number: Mapped[str] = mapped_column(sa.String(10), unique=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), index=True)
    date_of_birth: Mapped[date] = mapped_column(sa.Date)
    # AES-GCM ciphertext of the SSN, and an HMAC of it for exact-match look-ups (accounts.ssn)
    ssn_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    ssn_index: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_undeliverable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Account(Base):
    """A portal login for one person."""
    __tablename__ = "accounts"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("people.id"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    roles: Mapped[str] = mapped_column(sa.String(200), default="industry_professional")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiSession(Base):
    """A logged-in session; only the SHA-256 of its bearer token is stored."""
    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
