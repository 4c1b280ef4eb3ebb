from datetime import timedelta

import pytest
import sqlalchemy as sa
from accounts import profile, registration, sessions
from accounts.clock import now
from accounts.models import ApiSession, Person

from common.contracts.accounts import CreateAccountIn, LogInIn
from common.errors import Conflict, Unauthorized
from common.events.accounts import ContactDetailsChanged, PersonRegistered
from tests.support.databases import memory_sessions
from tests.support.factories import make_person


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def register(session, **overrides):
    data = make_person(**overrides)
    person, events = registration.create_account(session, CreateAccountIn(**data))
    session.commit()
    return data, person, events


def test_new_account_creates_a_person_with_a_ten_digit_il_number(session):
    _, person, _ = register(session)
    assert len(person.il_number) == 10 and person.il_number.isdigit()


def test_ssn_is_stored_only_encrypted(session):
    data, person, _ = register(session)
    digits = data["ssn"].replace("-", "")
    row = session.execute(sa.text("SELECT * FROM people")).mappings().one()
    assert all(digits not in str(value) for value in row.values())


def test_password_is_stored_as_an_argon2id_hash(session):
    data, person, _ = register(session)
    stored = session.execute(sa.text("SELECT password_hash FROM accounts")).scalar()
    assert stored.startswith("$argon2id$") and data["password"] not in stored


def test_registration_events_keep_contact_details_to_the_contact_event(session):
    data, person, events = register(session)
    registered = next(e for e in events if isinstance(e, PersonRegistered))
    contact = next(e for e in events if isinstance(e, ContactDetailsChanged))
    assert data["email"] not in registered.model_dump_json()
    assert data["ssn"] not in registered.model_dump_json()
    assert contact.email == data["email"]


def test_a_second_account_with_the_same_email_is_a_conflict(session):
    data, _, _ = register(session)
    with pytest.raises(Conflict):
        register(session, email=data["email"].upper())


def test_an_existing_ssn_is_refused_without_saying_so(session):
    data, _, _ = register(session)
    with pytest.raises(Conflict) as error:
        register(session, ssn=data["ssn"])
    assert "exists" not in error.value.message
    assert error.value.message == registration.CANNOT_CREATE


def test_log_in_returns_a_token_that_resolves_to_the_person(session):
    data, person, _ = register(session)
    token, expires = sessions.log_in(session, LogInIn(email=data["email"], password=data["password"]))
    session.commit()
    principal = sessions.principal_for_token(session, token)
    assert principal.person_id == person.id
    assert principal.roles == ["industry_professional"]
    # only a hash of the token is stored
    assert session.scalar(sa.select(ApiSession.token_hash)) != token


@pytest.mark.parametrize("email_override, password",
                         [(None, "wrong-password"), ("nobody@example.com", "a-long-password-1")])
def test_wrong_password_or_unknown_email_give_the_same_refusal(session, email_override, password):
    data, _, _ = register(session)
    with pytest.raises(Unauthorized) as error:
        sessions.log_in(session, LogInIn(email=email_override or data["email"], password=password))
    assert error.value.message == "That e-mail and password do not match an account."


def test_logged_out_and_expired_tokens_stop_working(session):
    data, _, _ = register(session)
    credentials = LogInIn(email=data["email"], password=data["password"])
    token, _ = sessions.log_in(session, credentials)
    sessions.log_out(session, token)
    session.commit()
    with pytest.raises(Unauthorized):
        sessions.principal_for_token(session, token)

    token, _ = sessions.log_in(session, credentials)
    row = session.scalar(sa.select(ApiSession).where(ApiSession.revoked_at.is_(None)))
    row.expires_at = now() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Unauthorized):
        sessions.principal_for_token(session, token)


def test_me_shows_the_ssn_masked(session):
    data, person, _ = register(session)
    me = profile.me(session, person.id)
    assert me.ssn_masked == "***-**-" + data["ssn"][-4:]
    assert data["ssn"] not in me.model_dump_json()


def test_a_bounced_address_is_marked_undeliverable_and_announced_once(session):
    from common.events.accounts import EmailMarkedUndeliverable

    _, person, _ = register(session)
    _, events = profile.mark_email_undeliverable(session, person.id)
    session.commit()
    assert [type(e) for e in events] == [EmailMarkedUndeliverable]
    assert session.get(Person, person.id).email_undeliverable is True
    assert profile.me(session, person.id).email_undeliverable is True
    assert profile.mark_email_undeliverable(session, person.id)[1] == []


def test_staff_search_results_say_whether_each_person_has_an_account_and_which_locals(session):
    from accounts.models import PersonLocal

    from common.authz import Principal
    from common.contracts.accounts import CreatePersonIn

    _, with_login, _ = register(session, last_name="Gaffer")
    waiting, _ = registration.create_person(session, CreatePersonIn(**{
        k: v for k, v in make_person(last_name="Gaffer").items() if k != "password"}), None)
    session.add_all([PersonLocal(person_id=waiting.id, local="728"), PersonLocal(person_id=waiting.id, local="80")])
    session.commit()
    staff = Principal(roles=["staff_reviewer"])

    found = {p["person_id"]: p for p in profile.find_people(session, "gaffer", staff)}

    assert found[str(with_login.id)]["has_account"] is True and found[str(with_login.id)]["locals"] == []
    assert found[str(waiting.id)]["has_account"] is False
    assert found[str(waiting.id)]["locals"] == ["80", "728"]  # as numbers, not text


def test_the_audit_page_names_accounts_for_staff_only(session):
    from common.authz import Principal
    from common.errors import Forbidden

    data, person, _ = register(session, first_name="Robin", last_name="Dolly")
    from accounts.models import Account

    account_id = str(session.scalar(sa.select(Account.id)))

    names = profile.name_accounts(session, [account_id, "not-an-id"], Principal(roles=["staff_admin"]))

    assert names == {account_id: {"name": "Robin Dolly", "email": data["email"]}}
    with pytest.raises(Forbidden):
        profile.name_accounts(session, [account_id], Principal(roles=["industry_professional"]))


def test_a_person_may_read_their_own_card_but_not_someone_elses(session):
    from common.authz import Principal
    from common.errors import NotFound

    _, me, _ = register(session, first_name="Pat", last_name="Grip")
    _, other, _ = register(session)

    card = profile.person_card(session, me.id, Principal(roles=["industry_professional"], person_id=me.id))

    assert card["il_number"] == me.il_number and card["last_name"] == "Grip"
    with pytest.raises(NotFound):
        profile.person_card(session, other.id, Principal(roles=["industry_professional"], person_id=me.id))


def test_the_documents_mailbox_can_tell_whose_address_a_message_came_from(session):
    data, person, _ = register(session, email="pat.grip@example.com")

    assert profile.find_person_by_email(session, " Pat.Grip@Example.com ") == {"person_id": str(person.id)}
    assert profile.find_person_by_email(session, "stranger@example.com") is None
    assert profile.find_person_by_email(session, "") is None
