"""person_registered fans out through the real broker to every service that keeps a copy."""
import uuid

import pytest
from accounts.service import AccountsService
from documents.models import Owner
from documents.service import DocumentsService
from notifications.service import NotificationsService
from rosters.models import Person
from rosters.service import RostersService
from training.models import Learner
from training.service import TrainingService

from tests.support.databases import service_sessions
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.broker


def test_created_account_reaches_every_service_and_the_message_center(runner_factory, service_config,
                                                                      postgres_url, rpc):
    config = {**service_config, "ACCOUNTS_DB_URL": postgres_url(), "NOTIFICATIONS_DB_URL": postgres_url()}
    runner = runner_factory(config, AccountsService, NotificationsService, RostersService,
                            DocumentsService, TrainingService)
    runner.start()

    person = make_person()
    created = rpc.accounts.create_account(person)
    person_id = created["person_id"]

    inbox = wait_until(lambda: rpc.notifications.list_messages(person_id)["messages"], timeout=20,
                       message="the welcome message")
    assert [m["subject"] for m in inbox] == ["Welcome to the Industry Hub"]

    for service, model in (("rosters", Person), ("documents", Owner), ("training", Learner)):
        sessions = service_sessions(service, config)

        def copied(sessions=sessions, model=model):
            with sessions() as session:
                return session.get(model, uuid.UUID(person_id))

        copy = wait_until(copied, timeout=20, message=f"{service}'s copy of the person")
        assert copy.il_number == created["il_number"]
        assert copy.last_name == person["last_name"]
        # only public facts travel: no contact details or SSN columns exist on the copy
        assert not {"email", "ssn", "date_of_birth"} & set(model.__table__.columns.keys())
    runner.stop()  # before the throwaway databases are dropped
