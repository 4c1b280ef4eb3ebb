"""The outbox relay is woken by a worker that published an event, not by every request: a
read-only request (a search, a dashboard) has nothing to relay (issue 12's profile found the
wake-up query costing 9 % of a login's CPU)."""
from eventlet.event import Event as GreenEvent

from common.events.accounts import PersonRegistered
from common.publisher import EventPublisher


class FakeSession:
    def __init__(self):
        self.added = []

    def add(self, row):
        self.added.append(row)


class FakeDatabase:
    base = __import__("accounts.models", fromlist=["Base"]).Base

    def __init__(self):
        self.sessions = {}

    def session_for(self, worker_ctx):
        return self.sessions.setdefault(worker_ctx, FakeSession())


def relay():
    publisher = EventPublisher()
    publisher._wake, publisher._publishing, publisher.database = GreenEvent(), set(), FakeDatabase()
    return publisher


def test_a_read_only_request_does_not_wake_the_relay():
    publisher = relay()
    reader = object()
    publisher.get_dependency(reader)
    publisher.worker_result(reader)
    publisher.worker_teardown(reader)
    assert not publisher._wake.ready()


def test_a_request_that_published_wakes_it_once_done_and_is_forgotten_after():
    publisher = relay()
    writer = object()
    publisher.get_dependency(writer)(PersonRegistered(person_id=__import__("uuid").uuid4(), il_number="1",
                                                      first_name="A", last_name="B"))
    publisher.worker_result(writer)
    assert publisher._wake.ready()
    publisher.worker_teardown(writer)
    assert publisher._publishing == set()


def test_a_request_that_failed_does_not_wake_it():
    publisher = relay()
    writer = object()
    publisher.get_dependency(writer)(PersonRegistered(person_id=__import__("uuid").uuid4(), il_number="1",
                                                      first_name="A", last_name="B"))
    publisher.worker_result(writer, exc_info=(ValueError, ValueError("x"), None))
    assert not publisher._wake.ready()
