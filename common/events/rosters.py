"""Facts published by the rosters service (contracts fixed now; the rosters issue fills them)."""
from __future__ import annotations

import uuid
from datetime import date

from common.events import Event


class RostersEvent(Event):
    source = "rosters"


class ApplicationStarted(RostersEvent):
    event_type = "application_started"
    person_id: uuid.UUID
    classification_code: str
    local: str | None = None  # e.g. "399": union reps see the members and applicants of theirs
    # "IER" or "training_list": a training list (e.g. Local #839's harassment prevention) has no
    # work-day requirement, so its application training is open from the day one applies
    roster: str | None = None


class WorkDaysRecorded(RostersEvent):
    event_type = "work_days_recorded"
    person_id: uuid.UUID
    classification_code: str
    days: int


class StatusChanged(RostersEvent):
    event_type = "status_changed"
    person_id: uuid.UUID
    classification_code: str
    old_status: str | None
    new_status: str
    as_of: date


class PlacedOnRoster(RostersEvent):
    event_type = "placed_on_roster"
    person_id: uuid.UUID
    classification_code: str
    placed_on: date
    local: str | None = None
    classification_name: str | None = None  # for the person's message, e.g. "IATSE, Local #80 (Grip)"
    # history brought in by the legacy import (issue 11): a fact, but no news to tell the person
    imported: bool = False


class Suspended(RostersEvent):
    event_type = "suspended"
    person_id: uuid.UUID
    classification_code: str
    reason: str
    as_of: date
    classification_name: str | None = None
    requirements: list[str] = []  # the labels of the requirements no longer met


class Reinstated(RostersEvent):
    event_type = "reinstated"
    person_id: uuid.UUID
    classification_code: str
    as_of: date
    classification_name: str | None = None


class GroupAdvanced(RostersEvent):
    event_type = "group_advanced"
    person_id: uuid.UUID
    from_classification_code: str
    to_classification_code: str
    as_of: date
    from_classification_name: str | None = None
    to_classification_name: str | None = None


class DeadlineApproaching(RostersEvent):
    event_type = "deadline_approaching"
    person_id: uuid.UUID
    classification_code: str
    requirement: str
    due_on: date
    days_left: int
    classification_name: str | None = None
    # False for an applicant (never placed): a lapse delays placement, it suspends nothing.
    # None from publishers older than this field; readers then assume placed.
    placed: bool | None = None


# --- extensions and removals (rosters.extensions, rosters.removals) -------------------------------

class ExtensionDecided(RostersEvent):
    """Staff approved (a new due date) or denied a person's request for more time."""
    event_type = "extension_decided"
    person_id: uuid.UUID
    extension_id: uuid.UUID
    classification_code: str
    requirement: str
    decision: str                  # approved | denied
    until: date | None = None      # the new due date, when approved
    reason: str | None = None
    classification_name: str | None = None


class Removed(RostersEvent):
    """Staff removed a person from a classification's roster from `effective_on`; the person may
    protest through `protest_by`."""
    event_type = "removed"
    person_id: uuid.UUID
    removal_id: uuid.UUID
    classification_code: str
    reason: str                    # the reason's label (from the data)
    effective_on: date
    protest_by: date
    classification_name: str | None = None


class RemovalProtested(RostersEvent):
    """The person protested a removal: the name stays on the roster, marked, until decided."""
    event_type = "removal_protested"
    person_id: uuid.UUID
    removal_id: uuid.UUID
    classification_code: str
    protested_on: date


class RemovalDecided(RostersEvent):
    """Staff decided a protested removal: `upheld` (removed from effective_on) or `reversed`
    (reinstated: the record stays open)."""
    event_type = "removal_decided"
    person_id: uuid.UUID
    removal_id: uuid.UUID
    classification_code: str
    decision: str                  # upheld | reversed
    effective_on: date
    reason: str | None = None
