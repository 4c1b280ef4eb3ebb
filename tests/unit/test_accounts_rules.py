"""Create Account attaching to a waiting record, throttling, profile changes, payroll keys."""
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import profile, registration, sessions, staff, throttle
from accounts.clock import now
from accounts.models import Account, LoginThrottle, Person

from common.audit import Actor
from common.contracts.accounts import CreateAccountIn, CreatePersonIn, LogInIn, ProfilePatch
from common.errors import Conflict, TooManyRequests, Unauthorized
from common.events.accounts import AccountClaimed, ContactDetailsChanged, PersonRegistered, ProfileUpdated
from tests.support.databases import memory_sessions
from tests.support.factories import make_person

STAFF = Actor(roles=["staff_admin"])
LIMITS = throttle.DEFAULT_LIMITS


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def waiting_record(session, **overrides):
    data = make_person(**overrides)
    data.pop("password")
    person, events = registration.create_person(session, CreatePersonIn(**data, origin="payroll"), STAFF)
    session.commit()
    return data, person, events


def test_a_record_without_an_account_is_announced_without_a_welcome(session):
    _, _, events = waiting_record(session)
    registered = next(e for e in events if isinstance(e, PersonRegistered))
    assert registered.has_account is False and registered.origin == "payroll"


def test_create_account_attaches_to_the_waiting_record_instead_of_duplicating(session):
    data, person, _ = waiting_record(session)
    mine = make_person(ssn=data["ssn"], last_name=data["last_name"].upper(),
                       date_of_birth=data["date_of_birth"])
    attached, events = registration.create_account(session, CreateAccountIn(**mine))
    session.commit()
    assert attached.id == person.id and attached.il_number == person.il_number
    assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
    assert [type(e) for e in events] == [AccountClaimed, ContactDetailsChanged]
    assert attached.email == mine["email"]


@pytest.mark.parametrize("mismatch", [{"last_name": "Someone-Else"}, {"date_of_birth": "1970-01-01"}])
def test_a_mismatch_with_a_waiting_record_is_refused_like_any_other_clash(session, mismatch):
    data, _, _ = waiting_record(session)
    attempt = make_person(ssn=data["ssn"], last_name=data["last_name"], date_of_birth=data["date_of_birth"])
    attempt.update(mismatch)
    with pytest.raises(Conflict) as error:
        registration.create_account(session, CreateAccountIn(**attempt))
    assert error.value.message == registration.CANNOT_CREATE


def test_five_failures_lock_the_account_at_that_address_with_a_time_to_wait(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    session.commit()
    wrong = LogInIn(email=data["email"], password="not-the-password")
    for _ in range(LIMITS.account_failures):
        with pytest.raises(Unauthorized):
            sessions.log_in(session, wrong, "10.0.0.1")
        session.commit()
    with pytest.raises(TooManyRequests) as error:
        sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]), "10.0.0.1")
    assert "Try again in 15 minutes" in error.value.message


def guess_wrong(session, email, address, times):
    for _ in range(times):
        try:
            sessions.log_in(session, LogInIn(email=email, password="a-wrong-guess"), address)
        except (Unauthorized, TooManyRequests):
            pass
        session.commit()


def test_wrong_passwords_from_one_address_do_not_stop_the_owner_logging_in_from_another(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    session.commit()
    guess_wrong(session, data["email"], "203.0.113.66", LIMITS.account_failures + 3)
    right = LogInIn(email=data["email"], password=data["password"])
    token, _ = sessions.log_in(session, right, "198.51.100.7")
    session.commit()
    assert sessions.principal_for_token(session, token).account_id is not None
    # the guessing address stays throttled, even with the right password
    with pytest.raises(TooManyRequests):
        sessions.log_in(session, right, "203.0.113.66")


def test_even_the_administrators_account_cannot_be_locked_by_a_stranger(session):
    factory = memory_sessions("accounts")
    staff.bootstrap(factory, "admin@example.com", "an-admin-password-1", None)
    with factory() as fresh:
        guess_wrong(fresh, "admin@example.com", "203.0.113.66", 20)
        sessions.log_in(fresh, LogInIn(email="admin@example.com", password="an-admin-password-1"), "10.1.1.1")


def test_guessing_from_many_addresses_adds_a_growing_delay_for_unknown_addresses_only(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    right = LogInIn(email=data["email"], password=data["password"])
    sessions.log_in(session, right, "198.51.100.7")  # the owner's usual address
    session.commit()
    delays = []
    for n in range(LIMITS.delay_after + 8):  # each guess from a fresh address, after the last delay
        guess_wrong(session, data["email"], f"203.0.113.{n}", 1)
        row = session.get(LoginThrottle, f"account-any:{data['email']}")
        if row.locked_until is not None:
            delays.append(round((row.locked_until - now()).total_seconds()))
            if n < LIMITS.delay_after + 7:
                row.locked_until = now()
                session.commit()
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    with pytest.raises(TooManyRequests) as error:
        sessions.log_in(session, right, "192.0.2.200")  # an address never seen before
    assert "Try again in 1 minute" in error.value.message
    assert 0 < error.value.details["retry_after_seconds"] <= 60
    sessions.log_in(session, right, "198.51.100.7")  # known: still in


def test_a_known_address_is_one_that_logged_in_successfully_not_one_that_only_tried(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    session.commit()
    account = session.scalar(sa.select(Account))
    guess_wrong(session, data["email"], "203.0.113.9", 2)
    assert not throttle.is_known_address(session, account.id, "203.0.113.9", LIMITS)
    sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]), "203.0.113.9")
    assert throttle.is_known_address(session, account.id, "203.0.113.9", LIMITS)


def test_the_limits_come_from_a_dependency_provider_not_module_globals():
    from accounts.service import AccountsService

    class Container:
        config = {"HUB_LOGIN_MAX_FAILURES_PER_ADDRESS": "7"}

    container = Container()
    provider = AccountsService.throttling.bind(container, "throttling")
    provider.setup()
    assert provider.get_dependency(None).address_failures == 7
    assert LIMITS.address_failures == 30


def test_a_lock_ends_by_itself_and_success_clears_the_count(session):
    data = make_person()
    registration.create_account(session, CreateAccountIn(**data))
    for _ in range(LIMITS.account_failures):
        with pytest.raises(Unauthorized):
            sessions.log_in(session, LogInIn(email=data["email"], password="nope-nope-nope"))
    row = session.get(LoginThrottle, f"account:{data['email']}")
    row.locked_until = now() - timedelta(seconds=1)
    row.window_started_at = now() - LIMITS.window - timedelta(seconds=1)
    session.commit()
    sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]))
    session.commit()
    assert session.get(LoginThrottle, f"account:{data['email']}") is None


def test_many_failures_from_one_address_lock_that_address_for_every_account(session):
    for _ in range(LIMITS.address_failures):
        with pytest.raises(Unauthorized):
            sessions.log_in(session, LogInIn(email=f"{uuid.uuid4().hex[:8]}@example.com", password="x"), "10.9.9.9")
    with pytest.raises(TooManyRequests):
        sessions.log_in(session, LogInIn(email="fresh@example.com", password="x"), "10.9.9.9")


def test_profile_changes_publish_what_changed_and_contact_details_to_notifications(session):
    data = make_person()
    person, _ = registration.create_account(session, CreateAccountIn(**data))
    _, events = profile.update_profile(session, person.id,
                                       ProfilePatch(phone="818-555-0101", email_notifications=False), None)
    updated = next(e for e in events if isinstance(e, ProfileUpdated))
    assert updated.changed_fields == ["email_notifications", "phone"]
    contact = next(e for e in events if isinstance(e, ContactDetailsChanged))
    assert contact.email_notifications is False
    assert profile.update_profile(session, person.id, ProfilePatch(phone="818-555-0101"), None) == (person, [])


def test_changing_email_moves_the_login_and_refuses_one_in_use(session):
    first, second = make_person(), make_person()
    person, _ = registration.create_account(session, CreateAccountIn(**first))
    registration.create_account(session, CreateAccountIn(**second))
    with pytest.raises(Conflict):
        profile.update_profile(session, person.id, ProfilePatch(email=second["email"]), None)
    profile.update_profile(session, person.id, ProfilePatch(email="NEW.address@example.com"), None)
    session.commit()
    assert session.scalar(sa.select(Account.email).where(Account.person_id == person.id)) == "new.address@example.com"


def test_payroll_keys_are_stored_hashed_and_rotation_revokes_the_old_one(session):
    client, key = sessions.add_payroll_client(session, "Entertainment Partners", STAFF)
    session.commit()
    assert key not in str(session.execute(sa.text("SELECT * FROM payroll_clients")).all())
    assert sessions.principal_for_api_key(session, key).roles == ["payroll_client"]
    _, new_key = sessions.rotate_payroll_key(session, client.id, STAFF)
    session.commit()
    with pytest.raises(Unauthorized):
        sessions.principal_for_api_key(session, key)
    assert sessions.principal_for_api_key(session, new_key).organisation == "Entertainment Partners"


def test_bootstrap_creates_the_admin_and_payroll_key_once(session):
    factory = memory_sessions("accounts")
    for _ in range(2):
        staff.bootstrap(factory, "Admin@Example.com", "an-admin-password-1", "hubpk_bootstrap-key-0123")
    with factory() as fresh:
        admins = fresh.scalars(sa.select(Account).where(Account.roles == "staff_admin")).all()
        assert [a.email for a in admins] == ["admin@example.com"]
        assert sessions.principal_for_api_key(fresh, "hubpk_bootstrap-key-0123").roles == ["payroll_client"]


def test_the_log_in_entrypoint_throttles_the_guessing_address_but_not_the_owners():
    from accounts.service import AccountsService
    from nameko.testing.services import worker_factory

    with memory_sessions("accounts")() as session:
        service = worker_factory(AccountsService, db=session, publish=lambda e: None, config={},
                                 throttling=LIMITS)
        data = make_person()
        service.create_account(data)
        for _ in range(LIMITS.account_failures + 2):
            with pytest.raises((Unauthorized, TooManyRequests)):
                service.log_in({"email": data["email"], "password": "a-wrong-guess"}, "203.0.113.66")
        right = {"email": data["email"], "password": data["password"]}
        with pytest.raises(TooManyRequests):
            service.log_in(right, "203.0.113.66")
        assert service.log_in(right, "198.51.100.7")["token"]
