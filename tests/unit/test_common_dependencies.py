"""common.dependencies.sibling: a DependencyProvider finding another one on its service."""
from types import SimpleNamespace

import pytest
from nameko.containers import ServiceContainer
from notifications.models import Base
from notifications.sender import MailSender
from notifications.service import NotificationsService

from common.db import Database
from common.dependencies import sibling


def test_finds_the_one_dependency_of_a_kind_on_a_real_service_container():
    container = ServiceContainer(NotificationsService, config={"AMQP_URI": "memory://"})  # built, never started
    database = sibling(container, Database)
    assert database is next(d for d in container.dependencies if d.attr_name == "db")
    assert sibling(container, MailSender).attr_name == "mail"


def test_a_service_without_exactly_one_is_told_so_by_name():
    lonely = SimpleNamespace(service_name="lonely", dependencies=set())
    with pytest.raises(LookupError, match="lonely declares 0 Database"):
        sibling(lonely, Database)
    twice = SimpleNamespace(service_name="twice", dependencies={Database(Base), Database(Base)})
    with pytest.raises(LookupError, match="twice declares 2 Database"):
        sibling(twice, Database)
