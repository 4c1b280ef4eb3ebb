"""Event contracts change only by adding optional fields (ARCHITECTURE.md, Events).

Each schema is compared with its snapshot in snapshots/. A removed or retyped field, or a new
required one, fails. After adding an optional field, refresh the snapshots with
`HUB_UPDATE_SNAPSHOTS=1 make test-fast` and commit them.
"""
import json
import os
from pathlib import Path

import pytest

from common.events import all_event_types

SNAPSHOTS = Path(__file__).parent / "snapshots"
BASE_FIELDS = {"event_id", "occurred_at", "schema_version"}
# Contact details and identity numbers never travel in events, except in the one event whose
# only subscriber is the notifications service (checked in test_topology.py).
PRIVATE_FIELDS = {"ssn", "date_of_birth", "email", "phone", "mailing_address", "password"}


def schema_of(event_type) -> dict:
    return event_type.model_json_schema()


EVENTS = all_event_types()


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda e: e.full_name())
def test_event_keeps_every_field_of_its_snapshot(event_type):
    path = SNAPSHOTS / f"{event_type.full_name()}.json"
    current = schema_of(event_type)
    if os.environ.get("HUB_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        assert os.environ.get("HUB_UPDATE_SNAPSHOTS") == "1", (
            f"no snapshot for {event_type.full_name()}: run HUB_UPDATE_SNAPSHOTS=1 make test-fast")
        path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    snapshot = json.loads(path.read_text())
    for name, spec in snapshot["properties"].items():
        assert name in current["properties"], f"{event_type.full_name()} lost field {name!r}"
        assert current["properties"][name] == spec, f"{event_type.full_name()}.{name} changed type"
    new_required = set(current.get("required", [])) - set(snapshot.get("required", []))
    assert not new_required, f"{event_type.full_name()} has new required fields {new_required}"


@pytest.mark.parametrize("event_type", EVENTS, ids=lambda e: e.full_name())
def test_every_event_carries_id_time_and_version(event_type):
    assert BASE_FIELDS <= set(event_type.model_fields)
    assert event_type.event_type and event_type.source in {"accounts", "rosters", "documents",
                                                           "training", "notifications"}


def test_catalog_covers_every_fact_named_in_the_spec():
    names = {e.full_name() for e in EVENTS}
    assert {
        "accounts.person_registered", "accounts.account_claimed", "accounts.profile_updated",
        "accounts.invitation_sent", "accounts.password_reset_requested",
        "rosters.application_started", "rosters.work_days_recorded", "rosters.status_changed",
        "rosters.placed_on_roster", "rosters.suspended", "rosters.reinstated",
        "rosters.group_advanced", "rosters.deadline_approaching",
        "documents.document_uploaded", "documents.document_reviewed", "documents.document_expired",
        "training.enrolled", "training.course_completed", "training.completion_expired",
        "notifications.message_created",
    } <= names


# the events that may carry an address; test_topology.py checks only notifications receives them
CONTACT_EVENTS = {"accounts.contact_details_changed", "documents.case_opened", "documents.case_replied"}


@pytest.mark.parametrize("event_type", [e for e in EVENTS if e.full_name() not in CONTACT_EVENTS],
                         ids=lambda e: e.full_name())
def test_events_carry_no_contact_details_or_identity_numbers(event_type):
    assert not PRIVATE_FIELDS & set(event_type.model_fields)


def test_unknown_fields_from_a_newer_producer_are_ignored():
    from common.events.accounts import PersonRegistered
    event = PersonRegistered.model_validate({
        "person_id": "5f1c0a4e-8f59-4d39-9d83-6f0f2b0d8c11", "il_number": "0000000001",
        "first_name": "A", "last_name": "B", "a_field_from_the_future": 1})
    assert not hasattr(event, "a_field_from_the_future")
