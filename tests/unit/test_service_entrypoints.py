"""Service classes in isolation with nameko's worker_factory: no broker, a real session."""
import pytest
from accounts.service import AccountsService
from nameko.testing.services import worker_factory

from common.errors import ValidationFailed
from tests.support.databases import memory_sessions
from tests.support.factories import make_person


@pytest.fixture
def accounts():
    with memory_sessions("accounts")() as session:
        published = []
        yield worker_factory(AccountsService, db=session, publish=published.append, config={}), published


def test_create_account_publishes_its_events_with_the_change(accounts):
    service, published = accounts
    created = service.create_account(make_person())
    assert [e.event_type for e in published] == ["person_registered", "contact_details_changed"]
    assert str(published[0].person_id) == created["person_id"]


def test_create_account_names_each_bad_field(accounts):
    service, published = accounts
    with pytest.raises(ValidationFailed) as error:
        service.create_account(make_person(ssn="12", date_of_birth="2999-01-01", email="x"))
    assert {"ssn", "date_of_birth", "email"} <= set(error.value.details["fields"])
    assert published == []


def test_unknown_fields_are_refused(accounts):
    service, _ = accounts
    with pytest.raises(ValidationFailed):
        service.create_account({**make_person(), "roles": "staff_admin"})
