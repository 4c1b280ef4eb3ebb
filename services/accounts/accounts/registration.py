"""People and how they come to have an account: Create Account (new person, or attaching to a
person record that was waiting for them) and staff-created records."""
from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts import ssn as ssn_crypto
from accounts.clock import now
from accounts.models import Account, Person
from accounts.passwords import hash_password
from common import audit
from common.contracts.accounts import CreateAccountIn, CreatePersonIn
from common.errors import Conflict
from common.events.accounts import AccountClaimed, ContactDetailsChanged, PersonRegistered

# One message for every refusal that involves someone else's record, so nobody can learn from
# Create Account whether an SSN is on file.
CANNOT_CREATE = ("We could not create an account with those details. Check your legal name, "
                 "date of birth and SSN, or contact Contract Services at 818.565.0550 ext. 1100.")

CONTACT_COLUMNS = ("phone", "address_line1", "address_line2", "city", "state", "postal_code")


def new_il_number(session: Session) -> str:
    while True:
        candidate = f"{secrets.randbelow(10**10):010d}"
        if session.scalar(sa.select(Person.id).where(Person.il_number == candidate)) is None:
            return candidate


def contact_event(person: Person) -> ContactDetailsChanged:
    return ContactDetailsChanged(person_id=person.id, email=person.email, first_name=person.first_name,
                                 email_notifications=person.email_notifications)


def email_in_use(session: Session, email: str, except_person=None) -> bool:
    account = session.scalar(sa.select(Account).where(Account.email == email))
    return account is not None and (except_person is None or account.person_id != except_person)


def _new_person(session: Session, data, origin: str, config) -> Person:
    person = Person(
        il_number=new_il_number(session), first_name=data.first_name, last_name=data.last_name,
        date_of_birth=data.date_of_birth, ssn_encrypted=ssn_crypto.encrypt_ssn(data.ssn, config),
        ssn_index=ssn_crypto.ssn_index(data.ssn, config), email=data.email, origin=origin,
        email_notifications=True, email_undeliverable=False, created_at=now(),
        **{column: getattr(data, column) for column in CONTACT_COLUMNS})
    session.add(person)
    session.flush()
    return person


def create_account(session: Session, data: CreateAccountIn, actor=None, config=None):
    """Create Account. Returns (person, events).

    If a person with this SSN already exists without an account (migrated, payroll, employer
    proof) and the last name and date of birth match, the account attaches to that record, so
    the history that was waiting for them is theirs. Any other clash gets the same answer.
    """
    if email_in_use(session, data.email):
        raise Conflict("An account with that e-mail address already exists. "
                       "Log in, or use “Forgot your password?”.")
    existing = session.scalar(sa.select(Person).where(
        Person.ssn_index == ssn_crypto.ssn_index(data.ssn, config)))
    if existing is not None:
        has_account = session.scalar(sa.select(Account.id).where(Account.person_id == existing.id))
        same_person = (existing.last_name.casefold() == data.last_name.casefold()
                       and existing.date_of_birth == data.date_of_birth)
        if has_account or not same_person:
            raise Conflict(CANNOT_CREATE)
        person = existing
        person.email = data.email
        person.email_undeliverable = False
        for column in CONTACT_COLUMNS:
            if getattr(data, column):
                setattr(person, column, getattr(data, column))
        events = [AccountClaimed(person_id=person.id), contact_event(person)]
        action = "account.created_for_existing_person"
    else:
        person = _new_person(session, data, "create_account", config)
        events = [PersonRegistered(person_id=person.id, il_number=person.il_number,
                                   first_name=person.first_name, last_name=person.last_name,
                                   ssn_index=person.ssn_index),
                  contact_event(person)]
        action = "account.created"
    session.add(Account(person_id=person.id, email=data.email, password_hash=hash_password(data.password),
                        roles="industry_professional", locals="", created_at=now(),
                        password_changed_at=now()))
    audit.record(session, actor, action, "person", person.id)
    return person, events


def create_person(session: Session, data: CreatePersonIn, actor, config=None):
    """A person record without an account (staff entry, import). Returns (person, events)."""
    index = ssn_crypto.ssn_index(data.ssn, config)
    if session.scalar(sa.select(Person.id).where(Person.ssn_index == index)) is not None:
        raise Conflict("A person with that SSN is already on file. Search for them instead.")
    person = _new_person(session, data, data.origin, config)
    audit.record(session, actor, "person.created", "person", person.id, origin=data.origin)
    events = [PersonRegistered(person_id=person.id, il_number=person.il_number,
                               first_name=person.first_name, last_name=person.last_name,
                               origin=data.origin, has_account=False, ssn_index=person.ssn_index)]
    if person.email:
        events.append(contact_event(person))
    return person, events
