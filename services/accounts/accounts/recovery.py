"""Getting into an account: claiming a migrated record from an invitation, forgetting a
password, changing it. Links are single-use and expire (7 days to claim, 1 hour to reset)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from accounts import sessions, throttle
from accounts.clock import now
from accounts.models import Account, OneTimeToken, Person
from accounts.passwords import hash_password, password_problem, verify_password
from accounts.tokens import digest, new_secret
from common import audit
from common.errors import Conflict, LinkExpired, NotFound, Unauthorized, ValidationFailed
from common.events.accounts import AccountClaimed, InvitationSent, PasswordResetRequested

CLAIM_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=1)


EXPIRED_CLAIM = ("This invitation link has expired or was already used. Invitations last 7 days: "
                 "use “Forgot your password?” on the Portal Login page to choose a password and "
                 "unlock your Portal.")
EXPIRED_RESET = ("This password reset link has expired or was already used. Reset links last one "
                 "hour: ask for a new one with “Forgot your password?”.")


def _issue(session: Session, purpose: str, person_id, account_id, lifetime) -> tuple[str, OneTimeToken]:
    secret = new_secret()
    row = OneTimeToken(token_hash=digest(secret), purpose=purpose, person_id=person_id,
                       account_id=account_id, created_at=now(), expires_at=now() + lifetime)
    session.add(row)
    return secret, row


def _redeem(session: Session, secret: str, purpose: str, expired_message: str) -> OneTimeToken:
    row = session.get(OneTimeToken, digest(secret), with_for_update=True)
    if row is None or row.purpose != purpose or row.used_at is not None or row.expires_at <= now():
        raise LinkExpired(expired_message)
    row.used_at = now()
    return row


def _end_links(session: Session, person_id, account_id) -> None:
    """A new password (set, reset or chosen on claiming) ends every other invitation and reset
    link: one asked for before the change must not set a password after it."""
    owner = [OneTimeToken.person_id == person_id] if person_id else []
    if account_id:
        owner.append(OneTimeToken.account_id == account_id)
    if owner:
        session.execute(sa.update(OneTimeToken).where(sa.or_(*owner), OneTimeToken.used_at.is_(None))
                        .values(used_at=now()))


def link_is_usable(session: Session, secret: str, purpose: str) -> bool:
    """Whether a link would still work, without using it (pages check before asking for a
    password, so nobody types one only to be told the link is dead)."""
    row = session.get(OneTimeToken, digest(secret))
    return row is not None and row.purpose == purpose and row.used_at is None and row.expires_at > now()


def _strong_enough(password: str, person: Person | None, email: str | None) -> None:
    inputs = (email, person.first_name if person else None, person.last_name if person else None)
    problem = password_problem(password, tuple(i for i in inputs if i))
    if problem:
        raise ValidationFailed(problem, {"fields": {"password": problem}})


def send_invitation(session: Session, person_id: uuid.UUID, public_url: str, actor):
    """Staff or an import invite a person with no account to claim one.
    Returns (when the link expires, events)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.")
    if session.scalar(sa.select(Account.id).where(Account.person_id == person.id)) is not None:
        raise Conflict("This person already has a Portal account.")
    if not person.email:
        raise ValidationFailed("Add an e-mail address for this person before inviting them.")
    secret, row = _issue(session, "claim", person.id, None, CLAIM_LIFETIME)
    audit.record(session, actor, "invitation.sent", "person", person.id)
    return row.expires_at, [InvitationSent(person_id=person.id, claim_url=f"{public_url}/claim?token={secret}",
                                           expires_at=row.expires_at.isoformat())]


def _open_account_for(session: Session, person: Person, password: str) -> Account:
    if session.scalar(sa.select(Account.id).where(Account.email == person.email)) is not None:
        raise Conflict("Another account already uses this person's e-mail address. "
                       "Contact Contract Services.")
    account = Account(person_id=person.id, email=person.email, password_hash=hash_password(password),
                      roles="industry_professional", locals="", created_at=now(),
                      password_changed_at=now())
    session.add(account)
    session.flush()
    return account


def claim(session: Session, secret: str, password: str, actor=None):
    """Returns ((account, session token, expiry), events)."""
    row = _redeem(session, secret, "claim", EXPIRED_CLAIM)
    person = session.get(Person, row.person_id)
    if session.scalar(sa.select(Account.id).where(Account.person_id == person.id)) is not None:
        raise LinkExpired(EXPIRED_CLAIM)
    _strong_enough(password, person, person.email)
    account = _open_account_for(session, person, password)
    _end_links(session, person.id, account.id)
    audit.record(session, actor, "account.claimed", "person", person.id)
    token, expires = sessions.open_session(session, account)
    return (account, token, expires), [AccountClaimed(person_id=person.id)]


def request_reset(session: Session, email: str, public_url: str, actor=None):
    """Forgot password. Returns (None, events): no event when nobody has that e-mail — the
    caller answers the same either way. Works for a migrated person with no account yet:
    confirming the reset opens their account (seed 001, after an invitation expired)."""
    account = session.scalar(sa.select(Account).where(Account.email == email))
    person = session.get(Person, account.person_id) if account and account.person_id else None
    if account is None:
        person = session.scalar(sa.select(Person).where(Person.email == email))
        if person is None:
            return None, []
    if account is not None and person is None:
        return None, []  # staff logins reset through an administrator, not by e-mail link
    secret, row = _issue(session, "reset", person.id, account.id if account else None, RESET_LIFETIME)
    audit.record(session, actor, "password_reset.requested", "person", person.id)
    return None, [PasswordResetRequested(person_id=person.id,
                                         reset_url=f"{public_url}/reset-password?token={secret}",
                                         expires_at=row.expires_at.isoformat())]


def confirm_reset(session: Session, secret: str, password: str, actor=None):
    """Sets the password, ends every session; opens the account of an unclaimed person.
    Returns (account, events)."""
    row = _redeem(session, secret, "reset", EXPIRED_RESET)
    person = session.get(Person, row.person_id)
    account = session.scalar(sa.select(Account).where(Account.person_id == person.id))
    _strong_enough(password, person, person.email)
    events = []
    if account is None:
        account = _open_account_for(session, person, password)
        events.append(AccountClaimed(person_id=person.id))
    else:
        account.password_hash = hash_password(password)
        account.password_changed_at = now()
        sessions.end_sessions(session, account.id)
    _end_links(session, person.id, account.id)
    audit.record(session, actor, "password.reset", "person", person.id)
    return account, events


def change_password(session: Session, account_id: uuid.UUID, current: str, new: str,
                    keep_token: str | None, actor,
                    limits: throttle.Limits = throttle.DEFAULT_LIMITS) -> int:
    """My Account: needs the current password; ends the account's other sessions. Wrong guesses
    count towards the account's log-in throttle, so a stolen session cannot brute-force it."""
    account = session.get(Account, account_id)
    if account is None:
        raise Unauthorized("Your session has ended. Please log in again.")
    throttle.check(session, account.email, None, limits)
    if not verify_password(account.password_hash, current):
        throttle.record_failure(session, account.email, None, limits)
        message = "Your current password is not right."
        raise ValidationFailed(message, {"fields": {"current_password": message}})
    person = session.get(Person, account.person_id) if account.person_id else None
    problem = password_problem(new, tuple(i for i in (account.email, person and person.first_name,
                                                     person and person.last_name) if i))
    if problem:
        raise ValidationFailed(problem, {"fields": {"new_password": problem}})
    account.password_hash = hash_password(new)
    account.password_changed_at = now()
    ended = sessions.end_sessions(session, account.id, keep_token=keep_token)
    _end_links(session, account.person_id, account.id)
    audit.record(session, actor, "password.changed", "account", account.id, other_sessions_ended=ended)
    return ended
