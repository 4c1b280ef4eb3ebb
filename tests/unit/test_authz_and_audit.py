"""The one authorization policy, and the append-only audit log."""
import uuid

import pytest
import sqlalchemy as sa
from accounts import profile, registration

from common import audit
from common.authz import PersonView, Principal, person_view, require_role
from common.contracts.accounts import CreateAccountIn
from common.errors import Forbidden, NotFound
from tests.support.databases import memory_sessions
from tests.support.factories import make_person

ME, OTHER = uuid.uuid4(), uuid.uuid4()


def principal(*roles, person_id=None, locals=()):
    return Principal(account_id=uuid.uuid4(), person_id=person_id, roles=list(roles), locals=list(locals))


@pytest.mark.parametrize("who, person, person_locals, expected", [
    (principal("industry_professional", person_id=ME), ME, set(), PersonView.PRIVATE),
    (principal("industry_professional", person_id=ME), OTHER, {"399"}, PersonView.NONE),
    (principal("staff_reviewer"), OTHER, set(), PersonView.PRIVATE),
    (principal("staff_admin"), OTHER, set(), PersonView.PRIVATE),
    (principal("union_rep", locals=["399"]), OTHER, {"399", "80"}, PersonView.MEMBER),
    (principal("union_rep", locals=["44"]), OTHER, {"399"}, PersonView.NONE),
    (principal("employer"), OTHER, {"399"}, PersonView.NONE),
    (principal("payroll_client"), OTHER, {"399"}, PersonView.NONE),
])
def test_who_sees_how_much_of_a_person(who, person, person_locals, expected):
    assert person_view(who, person, person_locals) == expected


def test_roles_are_required_where_named():
    require_role(principal("staff_admin"), "staff_admin")
    with pytest.raises(Forbidden):
        require_role(principal("staff_reviewer"), "staff_admin")


@pytest.fixture
def session():
    with memory_sessions("accounts")() as session:
        yield session


def test_a_rep_sees_members_of_their_local_without_private_details(session):
    person, _ = registration.create_account(session, CreateAccountIn(**make_person()))
    profile.record_local(session, person.id, "399")
    session.commit()
    seen = profile.get_person(session, person.id, principal("union_rep", locals=["399"]))
    assert seen.il_number == person.il_number and seen.locals == ["399"]
    assert seen.ssn_masked is None and seen.contact is None and seen.date_of_birth is None
    with pytest.raises(NotFound):
        profile.get_person(session, person.id, principal("union_rep", locals=["44"]))


def test_guessing_an_id_and_a_missing_id_look_the_same(session):
    person, _ = registration.create_account(session, CreateAccountIn(**make_person()))
    stranger = principal("industry_professional", person_id=uuid.uuid4())
    with pytest.raises(NotFound) as guessed:
        profile.get_person(session, person.id, stranger)
    with pytest.raises(NotFound) as missing:
        profile.get_person(session, uuid.uuid4(), stranger)
    assert guessed.value.message == missing.value.message


def test_a_staff_view_of_private_details_is_audited_with_who_looked(session):
    person, _ = registration.create_account(session, CreateAccountIn(**make_person()))
    reviewer = principal("staff_reviewer")
    seen = profile.get_person(session, person.id, reviewer)
    session.commit()
    assert seen.ssn_masked.startswith("***-**-")
    entries = audit.list_entries(session, "accounts", action="person.private_details_viewed")
    assert entries[0]["actor_account_id"] == str(reviewer.account_id)
    assert entries[0]["target_id"] == str(person.id)


def test_the_audit_log_cannot_be_edited_or_deleted(session):
    audit.record(session, None, "thing.done", "thing", "1")
    session.commit()
    entry = session.scalar(sa.select(session.info["base"].AuditEntry))
    entry.action = "thing.undone"
    with pytest.raises(PermissionError):
        session.commit()
    session.rollback()
    session.delete(session.scalar(sa.select(session.info["base"].AuditEntry)))
    with pytest.raises(PermissionError):
        session.commit()


def test_acting_on_behalf_is_recorded_with_both_identities(session):
    staff_member = principal("staff_admin").model_copy(update={"on_behalf_of": ME})
    audit.record(session, staff_member.actor("10.1.2.3"), "profile.updated", "person", ME)
    session.commit()
    entry = audit.list_entries(session, "accounts")[0]
    assert entry["actor_account_id"] == str(staff_member.account_id)
    assert entry["on_behalf_of"] == str(ME) and entry["client_ip"] == "10.1.2.3"


def test_staff_reading_a_record_on_someones_behalf_is_audited_but_the_person_reading_theirs_is_not(session):
    person, _ = registration.create_account(session, CreateAccountIn(**make_person()))
    own = principal("industry_professional", person_id=person.id)
    profile.me(session, person.id, actor=own.actor())
    helper = principal("staff_reviewer").model_copy(update={"person_id": person.id, "on_behalf_of": person.id})
    profile.me(session, person.id, actor=helper.actor("10.0.0.5"))
    session.commit()
    entries = audit.list_entries(session, "accounts", action="person.private_details_viewed")
    assert [(e["actor_account_id"], e["on_behalf_of"]) for e in entries] == [
        (str(helper.account_id), str(person.id))]


def test_only_staff_get_a_persons_card(session):
    person, _ = registration.create_account(session, CreateAccountIn(**make_person()))
    card = profile.person_card(session, person.id, principal("staff_reviewer"))
    assert card == {"person_id": str(person.id), "il_number": person.il_number,
                    "first_name": person.first_name, "last_name": person.last_name}
    with pytest.raises(NotFound):
        profile.person_card(session, person.id, principal("union_rep", locals=["399"]))


def test_a_link_can_be_checked_without_using_it(session):
    from accounts import recovery

    from common.contracts.accounts import CreatePersonIn

    data = make_person()
    data.pop("password")
    person, _ = registration.create_person(session, CreatePersonIn(**data, origin="import"), None)
    _, (invitation,) = recovery.send_invitation(session, person.id, "https://hub.example", None)
    link = invitation.claim_url.split("token=")[1]
    session.commit()
    assert recovery.link_is_usable(session, link, "claim") is True
    assert recovery.link_is_usable(session, link, "claim") is True  # checking did not spend it
    assert recovery.link_is_usable(session, link, "reset") is False
    recovery.claim(session, link, "a-long-password-1")
    assert recovery.link_is_usable(session, link, "claim") is False
