"""Claiming a migrated record, forgetting and changing passwords (seed 001)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import recovery, registration, sessions
from accounts.clock import now
from accounts.models import Account, ApiSession, OneTimeToken

from common.audit import Actor
from common.contracts.accounts import CreateAccountIn, CreatePersonIn, LogInIn
from common.errors import Conflict, LinkExpired, NotFound, Unauthorized, ValidationFailed
from common.events.accounts import AccountClaimed
from tests.support.databases import memory_sessions
from tests.support.factories import make_person

URL = "https://hub.example"
STAFF = Actor(roles=["staff_admin"])


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def migrated_person(session, **overrides):
    data = make_person(**overrides)
    data.pop("password")
    person, _ = registration.create_person(session, CreatePersonIn(**data, origin="import"), STAFF)
    session.commit()
    return data, person


def token_from(url: str) -> str:
    return url.split("token=")[1]


def test_invitation_link_lets_the_person_claim_once_and_logs_them_in(session):
    data, person = migrated_person(session)
    _, (event,) = recovery.send_invitation(session, person.id, URL, STAFF)
    assert event.claim_url.startswith(f"{URL}/claim?token=")
    (account, token, _), events = recovery.claim(session, token_from(event.claim_url), "a-long-password-1")
    session.commit()
    assert account.person_id == person.id and account.email == data["email"]
    assert sessions.principal_for_token(session, token).person_id == person.id
    assert [type(e) for e in events] == [AccountClaimed]
    with pytest.raises(LinkExpired) as error:
        recovery.claim(session, token_from(event.claim_url), "another-long-password-2")
    assert "Forgot your password" in error.value.message


def test_invitation_expires_after_seven_days(session):
    _, person = migrated_person(session)
    _, (event,) = recovery.send_invitation(session, person.id, URL, STAFF)
    row = session.scalar(sa.select(OneTimeToken))
    assert timedelta(days=6, hours=23) < row.expires_at - now() <= timedelta(days=7)
    row.expires_at = now() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(LinkExpired):
        recovery.claim(session, token_from(event.claim_url), "a-long-password-1")


def test_invitations_need_an_email_and_a_person_without_an_account(session):
    _, without_email = migrated_person(session, email=None)
    with pytest.raises(ValidationFailed):
        recovery.send_invitation(session, without_email.id, URL, STAFF)
    data = make_person()
    person, _ = registration.create_account(session, CreateAccountIn(**data))
    with pytest.raises(Conflict):
        recovery.send_invitation(session, person.id, URL, STAFF)
    with pytest.raises(NotFound):
        recovery.send_invitation(session, __import__("uuid").uuid4(), URL, STAFF)


def test_a_claim_refuses_a_guessable_password_and_keeps_the_link(session):
    data, person = migrated_person(session)
    _, (invitation,) = recovery.send_invitation(session, person.id, URL, STAFF)
    link = token_from(invitation.claim_url)
    session.commit()
    with pytest.raises(ValidationFailed):
        recovery.claim(session, link, data["last_name"] + "1")
    session.rollback()
    (account, *_), _ = recovery.claim(session, link, "a-long-password-1")
    assert account is not None


def test_reset_for_an_unknown_email_does_nothing_but_answers_the_same(session):
    assert recovery.request_reset(session, "nobody@example.com", URL) == (None, [])
    assert session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 0


def test_reset_changes_the_password_once_and_ends_every_session(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    old_token, _ = sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]))
    _, (event,) = recovery.request_reset(session, data["email"], URL)
    session.commit()
    row = session.scalar(sa.select(OneTimeToken))
    assert row.expires_at - now() <= timedelta(hours=1)
    recovery.confirm_reset(session, token_from(event.reset_url), "a-brand-new-password-2")
    session.commit()
    with pytest.raises(Unauthorized):
        sessions.principal_for_token(session, old_token)
    with pytest.raises(Unauthorized):
        sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]))
    sessions.log_in(session, LogInIn(email=data["email"], password="a-brand-new-password-2"))
    with pytest.raises(LinkExpired):
        recovery.confirm_reset(session, token_from(event.reset_url), "yet-another-password-3")


def test_reset_link_expires_after_an_hour(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    _, (event,) = recovery.request_reset(session, data["email"], URL)
    session.scalar(sa.select(OneTimeToken)).expires_at = now() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(LinkExpired):
        recovery.confirm_reset(session, token_from(event.reset_url), "a-brand-new-password-2")


def test_reset_opens_the_account_of_a_migrated_person_whose_invitation_expired(session):
    data, person = migrated_person(session)
    _, (event,) = recovery.request_reset(session, data["email"], URL)
    _, events = recovery.confirm_reset(session, token_from(event.reset_url), "a-brand-new-password-2")
    session.commit()
    assert [type(e) for e in events] == [AccountClaimed]
    token, _ = sessions.log_in(session, LogInIn(email=data["email"], password="a-brand-new-password-2"))
    assert sessions.principal_for_token(session, token).person_id == person.id


def test_changing_a_password_needs_the_current_one_and_ends_the_other_sessions(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    credentials = LogInIn(email=data["email"], password=data["password"])
    mine, _ = sessions.log_in(session, credentials)
    other, _ = sessions.log_in(session, credentials)
    account = session.scalar(sa.select(Account))
    with pytest.raises(ValidationFailed) as error:
        recovery.change_password(session, account.id, "wrong-password", "a-brand-new-password-2", mine, None)
    assert error.value.details["fields"] == {"current_password": "Your current password is not right."}
    ended = recovery.change_password(session, account.id, data["password"], "a-brand-new-password-2", mine, None)
    session.commit()
    assert ended == 1
    assert sessions.principal_for_token(session, mine).account_id == account.id
    with pytest.raises(Unauthorized):
        sessions.principal_for_token(session, other)
    assert session.scalar(sa.select(sa.func.count()).select_from(ApiSession).where(
        ApiSession.revoked_at.is_(None))) == 1


def test_guessing_the_current_password_is_throttled_like_logging_in(session):
    from accounts import throttle

    from common.errors import TooManyRequests

    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    account = session.scalar(sa.select(Account))
    for _ in range(throttle.DEFAULT_LIMITS.account_failures):
        with pytest.raises(ValidationFailed):
            recovery.change_password(session, account.id, "a-wrong-guess", "a-brand-new-password-2", None, None)
    with pytest.raises(TooManyRequests):
        recovery.change_password(session, account.id, data["password"], "a-brand-new-password-2", None, None)


def test_a_reset_link_requested_before_a_password_change_no_longer_works(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    _, (event,) = recovery.request_reset(session, data["email"], URL)
    session.commit()
    account = session.scalar(sa.select(Account))
    recovery.change_password(session, account.id, data["password"], "a-brand-new-password-2", None, None)
    session.commit()
    assert not recovery.link_is_usable(session, token_from(event.reset_url), "reset")
    with pytest.raises(LinkExpired):
        recovery.confirm_reset(session, token_from(event.reset_url), "an-attackers-password-3")


def test_using_one_reset_link_ends_every_other_outstanding_link(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    _, (first,) = recovery.request_reset(session, data["email"], URL)
    _, (second,) = recovery.request_reset(session, data["email"], URL)
    session.commit()
    recovery.confirm_reset(session, token_from(first.reset_url), "a-brand-new-password-2")
    session.commit()
    with pytest.raises(LinkExpired):
        recovery.confirm_reset(session, token_from(second.reset_url), "an-attackers-password-3")


def test_claiming_an_account_ends_the_other_invitations_and_reset_links(session):
    data, person = migrated_person(session)
    _, (invitation,) = recovery.send_invitation(session, person.id, URL, STAFF)
    _, (other_invitation,) = recovery.send_invitation(session, person.id, URL, STAFF)
    _, (reset,) = recovery.request_reset(session, data["email"], URL)
    session.commit()
    recovery.claim(session, token_from(invitation.claim_url), "a-long-password-1")
    session.commit()
    assert not recovery.link_is_usable(session, token_from(other_invitation.claim_url), "claim")
    with pytest.raises(LinkExpired):
        recovery.confirm_reset(session, token_from(reset.reset_url), "an-attackers-password-3")
