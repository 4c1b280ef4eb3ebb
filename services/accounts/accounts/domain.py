"""Account rules: plain functions over a session, no nameko."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from accounts import ssn as ssn_crypto
from accounts.models import Account, ApiSession, Person
from accounts.schemas import CreateAccountIn, LogInIn, MeOut, Principal
from common.errors import Conflict, NotFound, Unauthorized
from common.events.accounts import ContactDetailsChanged, PersonRegistered

SESSION_LIFETIME = timedelta(hours=12)
passwords = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the e-mail is unknown keeps both answers equally slow.
_DUMMY_HASH = passwords.hash("not-a-real-password-0")


def now() -> datetime:
    return datetime.now(timezone.utc)


def new_il_number(session: Session) -> str:
    while True:
        candidate = f"{secrets.randbelow(10**10):010d}"
        if session.scalar(sa.select(Person.id).where(Person.il_number == candidate)) is None:
            return candidate


def create_account(session: Session, data: CreateAccountIn, config=None):
    """A new person with a portal account. Returns (person, events)."""
    if session.scalar(sa.select(Account.id).where(Account.email == data.email)) is not None:
        raise Conflict("An account with that e-mail address already exists. "
                       "Log in, or use “Forgot your password?”.")
    index = ssn_crypto.ssn_index(data.ssn, config)
    if session.scalar(sa.select(Person.id).where(Person.ssn_index == index)) is not None:
        # Claiming an existing record is the accounts issue's work; never say the SSN exists.
        raise Conflict("We could not create an account with those details. "
                       "Please contact Contract Services.")
    person = Person(
        il_number=new_il_number(session), first_name=data.first_name, last_name=data.last_name,
        date_of_birth=data.date_of_birth, ssn_encrypted=ssn_crypto.encrypt_ssn(data.ssn, config),
        ssn_index=index, email=data.email, created_at=now())
    session.add(person)
    session.flush()
    session.add(Account(person_id=person.id, email=data.email,
                        password_hash=passwords.hash(data.password), created_at=now()))
    events = [
        PersonRegistered(person_id=person.id, il_number=person.il_number,
                         first_name=person.first_name, last_name=person.last_name),
        ContactDetailsChanged(person_id=person.id, email=data.email, first_name=person.first_name),
    ]
    return person, events


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(session: Session, data: LogInIn) -> tuple[str, datetime]:
    account = session.scalar(sa.select(Account).where(Account.email == data.email.lower()))
    try:
        passwords.verify(account.password_hash if account else _DUMMY_HASH, data.password)
    except (VerificationError, InvalidHashError):
        account = None
    if account is None:
        raise Unauthorized("That e-mail and password do not match an account.")
    token = secrets.token_urlsafe(32)
    expires = now() + SESSION_LIFETIME
    session.add(ApiSession(token_hash=_token_hash(token), account_id=account.id,
                           created_at=now(), expires_at=expires))
    return token, expires


def principal_for_token(session: Session, token: str) -> Principal:
    row = session.get(ApiSession, _token_hash(token or ""))
    if row is None or row.revoked_at is not None or row.expires_at <= now():
        raise Unauthorized("Your session has ended. Please log in again.")
    account = session.get(Account, row.account_id)
    return Principal(account_id=account.id, person_id=account.person_id,
                     roles=account.roles.split(","))


def log_out(session: Session, token: str) -> None:
    row = session.get(ApiSession, _token_hash(token or ""))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now()


def me(session: Session, person_id: uuid.UUID, config=None) -> MeOut:
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    account = session.scalar(sa.select(Account).where(Account.person_id == person_id))
    return MeOut(
        person_id=person.id, il_number=person.il_number, first_name=person.first_name,
        last_name=person.last_name, email=person.email,
        email_undeliverable=person.email_undeliverable,
        ssn_masked=ssn_crypto.mask_ssn(ssn_crypto.decrypt_ssn(person.ssn_encrypted, config)),
        roles=account.roles.split(",") if account else [])


def mark_email_undeliverable(session: Session, person_id: uuid.UUID) -> None:
    person = session.get(Person, person_id)
    if person is not None:
        person.email_undeliverable = True

