"""Safety bulletins, hotlines and resources in the notifications service: nameko's worker_factory
over a real in-memory database."""
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from nameko.testing.services import worker_factory
from notifications import bulletins
from notifications.bulletins import ResourcesError, load_resources, parse_resources
from notifications.bulletins_models import BulletinDelivery
from notifications.models import Message
from notifications.service import NotificationsService

from common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from common.events.accounts import ContactDetailsChanged
from common.events.rosters import ApplicationStarted
from tests.support.databases import memory_sessions

PUBLIC_URL = "https://hub.example"
STAFF = {"account_id": str(uuid.uuid4()), "roles": ["staff_reviewer"]}
IP = {"account_id": str(uuid.uuid4()), "roles": ["industry_professional"]}


@pytest.fixture
def session():
    with memory_sessions("notifications")() as session:
        yield session


@pytest.fixture
def service(session):
    published = []
    worker = worker_factory(NotificationsService, db=session, publish=published.append,
                            config={"HUB_PUBLIC_URL": PUBLIC_URL + "/"}, resources=load_resources())
    return worker, published


def applied(service, local: str, code: str, person_id=None) -> uuid.UUID:
    person_id = person_id or uuid.uuid4()
    service.handle_application_started(ApplicationStarted(
        person_id=person_id, classification_code=code, local=local).model_dump(mode="json"))
    return person_id


def messages_of(session, person_id) -> list[Message]:
    return list(session.scalars(sa.select(Message).where(Message.person_id == person_id)))


def test_publish_shows_it_publicly_newest_first(service):
    worker, _ = service
    older = worker.publish_bulletin({"title": "Heat illness", "body": "Drink water.",
                                     "published_on": "2026-06-01"}, STAFF)
    newer = worker.publish_bulletin({"title": "Aerial lifts", "body": "Harness **always**."}, STAFF)
    listed = worker.list_bulletins()["bulletins"]
    assert [b["id"] for b in listed] == [newer["id"], older["id"]]
    assert worker.get_bulletin(newer["id"])["body"] == "Harness **always**."
    assert older["published_on"] == "2026-06-01"


def test_audience_of_locals_and_classifications_gets_one_message_each_linking_the_bulletin(service, session):
    worker, published = service
    grip = applied(worker, "80", "80-GRIP")
    driver = applied(worker, "399", "399-DRIVER-3")
    both = applied(worker, "80", "80-GRIP")
    applied(worker, "399", "399-DRIVER-3", person_id=both)   # two applications, still one message
    camera = applied(worker, "600", "600-CAMERA")
    bulletin = worker.publish_bulletin({"title": "Dolly track", "body": "Check the track.",
                                        "audience": {"locals": ["Local #80"],
                                                     "classifications": ["399-DRIVER-3"]}}, STAFF)
    for person in (grip, driver, both):
        [message] = messages_of(session, person)
        assert message.category == "bulletin" and message.subject == "Safety bulletin: Dolly track"
        assert message.link == f"/safety/bulletins/{bulletin['id']}"
        assert f"{PUBLIC_URL}/safety/bulletins/{bulletin['id']}" in message.body
    assert messages_of(session, camera) == []
    assert sorted(e.person_id for e in published) == sorted([grip, driver, both])


def test_everyone_means_every_person_known_and_an_edit_does_not_message_again(service, session):
    worker, published = service
    with_address = uuid.uuid4()
    worker.handle_contact_details_changed(ContactDetailsChanged(
        person_id=with_address, email="jo@example.com", first_name="Jo").model_dump(mode="json"))
    applicant = applied(worker, "44", "44-PROPS")
    bulletin = worker.publish_bulletin({"title": "Lightning", "body": "Clear the set."}, STAFF)
    assert len(messages_of(session, with_address)) == 1 and len(messages_of(session, applicant)) == 1
    assert "Hello Jo," in messages_of(session, with_address)[0].body
    published.clear()
    edited = worker.update_bulletin(bulletin["id"], {"body": "Clear the set **now**."}, STAFF)
    assert edited["body"] == "Clear the set **now**." and edited["updated_at"]
    assert published == [] and len(messages_of(session, with_address)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(BulletinDelivery)) == 2


def test_widening_the_audience_tells_only_the_newcomers(service, session):
    worker, _ = service
    grip = applied(worker, "80", "80-GRIP")
    props = applied(worker, "44", "44-PROPS")
    bulletin = worker.publish_bulletin({"title": "Ladders", "body": "Three points.",
                                        "audience": {"locals": ["80"]}}, STAFF)
    assert len(messages_of(session, grip)) == 1 and messages_of(session, props) == []
    worker.update_bulletin(bulletin["id"], {"audience": {"locals": ["80", "44"]}}, STAFF)
    assert len(messages_of(session, grip)) == 1 and len(messages_of(session, props)) == 1


def test_withdraw_hides_it_and_keeps_it_for_staff(service):
    worker, _ = service
    bulletin = worker.publish_bulletin({"title": "Old news", "body": "x"}, STAFF)
    withdrawn = worker.withdraw_bulletin(bulletin["id"], STAFF)
    assert withdrawn["withdrawn"] is True
    assert worker.list_bulletins()["bulletins"] == []
    assert [b["id"] for b in worker.list_bulletins(True)["bulletins"]] == [bulletin["id"]]
    assert worker.get_bulletin(bulletin["id"])["withdrawn"] is True
    assert worker.withdraw_bulletin(bulletin["id"], STAFF)["withdrawn"] is True   # twice is once
    with pytest.raises(Conflict):
        worker.update_bulletin(bulletin["id"], {"title": "Back"}, STAFF)


def test_a_large_audience_is_told_a_batch_now_and_the_rest_by_the_timer_each_person_once(
        service, session, monkeypatch):
    """Everyone is tens of thousands of people: publishing must answer staff at once, so it
    tells one batch and the timer tells the rest, a batch a transaction."""
    monkeypatch.setattr(bulletins, "DELIVERY_BATCH", 3)
    worker, published = service
    people = [applied(worker, "80", "80-GRIP") for _ in range(8)]

    bulletin = worker.publish_bulletin({"title": "Heat", "body": "Drink water."}, STAFF)
    assert len(published) == 3 and bulletin["delivering"] is True
    assert worker.get_bulletin(bulletin["id"])["delivering"] is True

    worker.deliver_bulletins()
    assert sorted(e.person_id for e in published) == sorted(people)   # each of the 8 once
    assert all(len(messages_of(session, person)) == 1 for person in people)
    assert worker.get_bulletin(bulletin["id"])["delivering"] is False
    worker.deliver_bulletins()   # nothing left: nobody is told twice
    assert len(published) == 8


def test_each_timer_batch_is_its_own_transaction(service, session, monkeypatch):
    monkeypatch.setattr(bulletins, "DELIVERY_BATCH", 2)
    worker, _ = service
    people = [applied(worker, "80", "80-GRIP") for _ in range(5)]
    bulletin = worker.publish_bulletin({"title": "Wind", "body": "Secure the flats."}, STAFF)
    session.commit()

    first = bulletins.deliver_next_batch(session, PUBLIC_URL)
    assert len(first) == 2
    session.rollback()   # a batch that did not commit tells nobody; the next run tells them
    assert session.scalar(sa.select(sa.func.count()).select_from(BulletinDelivery)) == 2
    assert len(bulletins.deliver_next_batch(session, PUBLIC_URL)) == 2
    session.commit()
    assert len(bulletins.deliver_next_batch(session, PUBLIC_URL)) == 1
    session.commit()
    assert bulletins.deliver_next_batch(session, PUBLIC_URL) is None
    assert {m.person_id for m in session.scalars(sa.select(Message))} == set(people)
    assert worker.get_bulletin(bulletin["id"])["delivering"] is False


def test_withdrawing_a_bulletin_stops_telling_its_audience(service, session, monkeypatch):
    monkeypatch.setattr(bulletins, "DELIVERY_BATCH", 2)
    worker, published = service
    for _ in range(5):
        applied(worker, "80", "80-GRIP")
    bulletin = worker.publish_bulletin({"title": "Wrong date", "body": "x"}, STAFF)
    withdrawn = worker.withdraw_bulletin(bulletin["id"], STAFF)
    worker.deliver_bulletins()
    assert withdrawn["delivering"] is False and len(published) == 2


@pytest.mark.parametrize("actor", [IP, {"roles": ["union_rep"]}, {"roles": ["anonymous"]}])
def test_only_staff_publish_edit_or_withdraw(service, session, actor):
    worker, _ = service
    with pytest.raises(Forbidden):
        worker.publish_bulletin({"title": "Fake", "body": "x"}, actor)
    bulletin = worker.publish_bulletin({"title": "Real", "body": "x"}, STAFF)
    with pytest.raises(Forbidden):
        worker.update_bulletin(bulletin["id"], {"title": "Defaced"}, actor)
    with pytest.raises(Forbidden):
        worker.withdraw_bulletin(bulletin["id"], actor)
    assert worker.get_bulletin(bulletin["id"])["title"] == "Real"


@pytest.mark.parametrize("payload", [
    {"title": "", "body": "x"},
    {"title": "T"},
    {"title": "T", "body": "x", "audience": {"unions": ["80"]}},
    {"title": "T", "body": "x", "extra": 1},
    {"title": "T" * 201, "body": "x"},
])
def test_bad_bulletins_are_refused_by_field(service, payload):
    worker, _ = service
    with pytest.raises(ValidationFailed):
        worker.publish_bulletin(payload, STAFF)
    assert worker.list_bulletins()["bulletins"] == []


def test_unknown_bulletins_are_not_found(service):
    worker, _ = service
    for call in (lambda: worker.get_bulletin("nope"), lambda: worker.get_bulletin(str(uuid.uuid4())),
                 lambda: worker.withdraw_bulletin(str(uuid.uuid4()), STAFF),
                 lambda: worker.update_bulletin(str(uuid.uuid4()), {"title": "x"}, STAFF)):
        with pytest.raises(NotFound):
            call()


def test_a_redelivered_application_event_is_applied_once(service, session):
    worker, _ = service
    event = ApplicationStarted(person_id=uuid.uuid4(), classification_code="80-GRIP", local="80")
    worker.handle_application_started(event.model_dump(mode="json"))
    worker.handle_application_started(event.model_dump(mode="json"))
    assert bulletins.audience_of(session, bulletins.Audience(locals=["80"])) == {event.person_id}


def test_shipped_resources_have_the_contract_services_line_and_hotlines_with_numbers(service):
    worker, _ = service
    resources = worker.list_resources()
    names = {h["name"]: h for h in resources["hotlines"]}
    assert names["Contract Services"]["phone"] == "818.565.0550"
    assert names["Safety Pass training"]["phone"].endswith("ext. 1260")
    assert any("illustrative" in name for name in names) and "Cal/OSHA" in names
    assert all(h["phone"] for h in resources["hotlines"]) and resources["resources"]


@pytest.mark.parametrize("text, problem", [
    ("version: 1\nresources:\n  - name: X\n    kind: hotline\n", "a hotline needs a phone number"),
    ("version: 1\nresources:\n  - name: X\n    kind: club\n    phone: '911'\n", "resources.0.kind"),
    ("version: 1\nresources:\n  - name: X\n    kind: resource\n    link: javascript:alert(1)\n",
     "an https:// address"),
    ("version: 1\nresources:\n  - name: X\n    kind: hotline\n    phone: call me\n", "line 5"),
    ("resources: [", "not valid YAML"),
])
def test_a_bad_resources_file_stops_the_start_naming_the_problem(text, problem):
    with pytest.raises(ResourcesError, match=problem.replace(".", r"\.").replace("(", r"\(")):
        parse_resources(text)


def test_published_on_defaults_to_the_business_day(service, monkeypatch):
    worker, _ = service
    monkeypatch.setattr(bulletins, "today", lambda: date(2027, 2, 3))
    assert worker.publish_bulletin({"title": "T", "body": "x"}, STAFF)["published_on"] == "2027-02-03"
