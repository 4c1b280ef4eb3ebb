"""Facts published by the accounts service.

Contact details travel only in `contact_details_changed`, which only the notifications service
subscribes to: every other consumer sees a person by id, IL number and name, never SSN, date of
birth, e-mail or phone.
"""
from __future__ import annotations

import uuid
from typing import Literal

from common.events import Event


class AccountsEvent(Event):
    source = "accounts"


class PersonRegistered(AccountsEvent):
    event_type = "person_registered"
    person_id: uuid.UUID
    il_number: str
    first_name: str
    last_name: str
    # "create_account" (self-service), "import" (migrated), "payroll", "employer_proof", "staff"
    origin: str = "create_account"
    has_account: bool = True
    # the keyed blind index of the SSN (common.identity), never the SSN: rosters attaches payroll
    # records held for that SSN to this person
    ssn_index: str | None = None


class ContactDetailsChanged(AccountsEvent):
    """Only the notifications service subscribes: where and whether to e-mail a person."""
    event_type = "contact_details_changed"
    person_id: uuid.UUID
    email: str | None = None
    first_name: str
    email_notifications: bool = True


class AccountClaimed(AccountsEvent):
    event_type = "account_claimed"
    person_id: uuid.UUID


class ProfileUpdated(AccountsEvent):
    event_type = "profile_updated"
    person_id: uuid.UUID
    changed_fields: list[str]


class InvitationSent(AccountsEvent):
    """Only the notifications service subscribes: the link is a single-use secret it e-mails."""
    event_type = "invitation_sent"
    secret_fields = ("claim_url",)  # kept in the outbox only until relayed
    person_id: uuid.UUID
    claim_url: str
    expires_at: str


class PasswordResetRequested(AccountsEvent):
    """Only the notifications service subscribes: the link is a single-use secret it e-mails."""
    event_type = "password_reset_requested"
    secret_fields = ("reset_url",)  # kept in the outbox only until relayed
    person_id: uuid.UUID
    reset_url: str
    expires_at: str


class EmailMarkedUndeliverable(AccountsEvent):
    event_type = "email_marked_undeliverable"
    person_id: uuid.UUID
    reason: Literal["rejected_by_mail_server"] = "rejected_by_mail_server"
