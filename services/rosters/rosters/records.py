"""Re-evaluating classification records: the engine decides, this stores its answer in the status
columns and collects the events of what changed (placement, suspension, reinstatement,
advancement in grouping, deadline warnings); the entrypoint publishes them and commits."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from common import audit
from common.audit import Actor
from common.events import Event
from common.events.rosters import (
    DeadlineApproaching,
    GroupAdvanced,
    PlacedOnRoster,
    Reinstated,
    StatusChanged,
    Suspended,
)
from rosters.clock import now
from rosters.engine.evaluate import Evaluation, evaluate
from rosters.engine.facts import Facts
from rosters.facts_store import as_engine_record, chunks, facts_for_people, records_of_people
from rosters.models import ClassificationRecord, DeadlineNotice
from rosters.rulebook import classification_or_none

log = logging.getLogger(__name__)

COMPLIANT = frozenset({"compliant", "approaching_deadline"})
NOT_COMPLIANT = "not_compliant"
# deadline reminders: 60, 30 and 7 days before, on the day, and 7 days after while still unmet
# (SPEC §4 journey 6; issue 10). Days before a deadline; negative: days after it. A deployment
# sets its own with HUB_REMINDER_OFFSETS="60,30,7,0,-7".
NOTICE_DAYS = (60, 30, 7, 0, -7)
RECORD_LAPSE = "Roster compliance"
# an after-lapse reminder missed (the sweep did not run that day) is still sent this many days late
AFTER_LAPSE_GRACE = 7


def parse_offsets(text: str | None) -> tuple[int, ...]:
    """"60,30,7,0,-7" → (60, 30, 7, 0, -7); empty → the default schedule."""
    if not text or not text.strip():
        return NOTICE_DAYS
    try:
        offsets = tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))
    except ValueError:
        raise ValueError(f"HUB_REMINDER_OFFSETS must be whole numbers of days, like 60,30,7,0,-7: {text!r}") from None
    return offsets or NOTICE_DAYS


def reminder_offsets(config=None) -> tuple[int, ...]:
    """The deployment's schedule, from the service's config (or the environment)."""
    from common import config as hub_config
    return parse_offsets(hub_config.setting("HUB_REMINDER_OFFSETS", None, config))


@dataclass
class Tally:
    evaluated: int = 0
    placed: int = 0
    suspended: int = 0
    reinstated: int = 0
    advanced: int = 0
    warnings: int = 0

    def as_dict(self) -> dict:
        return asdict(self)

    def add(self, other: Tally) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)


def notice_step(days_left: int, offsets: tuple[int, ...] = NOTICE_DAYS) -> int | None:
    """Which reminder is due `days_left` days before a deadline (negative: after it). Before: the
    nearest one not yet passed, so a deadline first seen 5 days out gets the 7-day reminder, not
    all three. After: the latest after-lapse one reached, up to AFTER_LAPSE_GRACE days late."""
    if days_left >= 0:
        return min((step for step in offsets if 0 <= step and days_left <= step), default=None)
    return max((step for step in offsets if step < 0 and step - AFTER_LAPSE_GRACE < days_left <= step),
               default=None)


class Reevaluation:
    """One pass over some people's open records as of one date; counts what happened and
    collects the events to publish in `events`."""

    def __init__(self, session: Session, catalog, as_of: date, actor=None, offsets: tuple[int, ...] | None = None):
        self.session, self.catalog, self.as_of = session, catalog, as_of
        self.offsets = offsets if offsets is not None else reminder_offsets()
        self.actor = actor or Actor.system()  # whose write set this off (a review, a payroll batch…)
        self.tally = Tally()
        self.events: list[Event] = []
        self._sent: set[tuple] = set()

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def people(self, person_ids: Iterable[uuid.UUID]) -> Tally:
        for batch in chunks(list(dict.fromkeys(person_ids))):
            records = records_of_people(self.session, batch, for_update=True)
            if not records:
                continue
            facts = facts_for_people(self.session, records)
            self._load_notices([r.id for rs in records.values() for r in rs])
            for person_id, person_records in records.items():
                for record in person_records:
                    self.record(record, facts[person_id])
        return self.tally

    def record(self, record: ClassificationRecord, facts: Facts) -> Evaluation | None:
        rules = classification_or_none(self.catalog, record.classification_code, self.as_of)
        if rules is None:
            log.warning("classification %s is not in the catalog on %s; record %s left as it is",
                        record.classification_code, self.as_of, record.id)
            return None
        result = evaluate(as_engine_record(record), rules, facts, self.as_of)
        self.tally.evaluated += 1
        if result.placed_on and record.placed_on is None:
            self._place(record, rules, result.placed_on)
        self._store(record, rules, result)
        if result.status != "closed":
            self._warn(record, rules, result)
        if (record.placed_on and rules.advances_to and result.anticipated_advancement_on
                and result.anticipated_advancement_on <= self.as_of):
            self._advance(record, rules, facts, result.anticipated_advancement_on)
        return result

    # --- transitions ---------------------------------------------------------------------------

    def _place(self, record: ClassificationRecord, rules, placed_on: date) -> None:
        record.placed_on = placed_on
        if rules.group is not None and record.group_started_on is None:
            record.group_started_on = placed_on
        self.publish(PlacedOnRoster(person_id=record.person_id, classification_code=rules.code,
                                    placed_on=placed_on, local=rules.local, classification_name=rules.name))
        self._audit("record.placed", record, placed_on=placed_on)
        self.tally.placed += 1

    def _store(self, record: ClassificationRecord, rules, result: Evaluation) -> None:
        old, new = record.status or None, result.status
        record.status = new
        record.status_as_of = self.as_of
        record.anticipated_advancement_on = result.anticipated_advancement_on
        record.lapses_on = result.lapses_on
        record.updated_at = now()
        if old == new:
            return
        self.publish(StatusChanged(person_id=record.person_id, classification_code=rules.code,
                                   old_status=old, new_status=new, as_of=self.as_of))
        if new == NOT_COMPLIANT:
            unmet = [row.label for row in result.rows if row.state == "unmet"]
            self.publish(Suspended(person_id=record.person_id, classification_code=rules.code,
                                   reason="; ".join(unmet) or "A requirement is not met",
                                   as_of=self.as_of, classification_name=rules.name,
                                   requirements=unmet))
            self._audit("record.suspended", record, unmet=unmet)
            self.tally.suspended += 1
        elif old == NOT_COMPLIANT and new in COMPLIANT:
            self.publish(Reinstated(person_id=record.person_id, classification_code=rules.code,
                                    as_of=self.as_of, classification_name=rules.name))
            self._audit("record.reinstated", record)
            self.tally.reinstated += 1

    def _advance(self, record: ClassificationRecord, rules, facts: Facts, on: date) -> None:
        """Seed 002: on the Anticipated Advancement Date the person moves up a group, placed."""
        next_rules = classification_or_none(self.catalog, rules.advances_to, on)
        if next_rules is None:
            log.error("%s advances to %s, which the catalog does not have on %s",
                      rules.code, rules.advances_to, on)
            return
        record.closed_on = on
        record.closed_reason = f"advanced to {next_rules.name}"
        self._store_closed(record, rules)
        following = self.session.scalar(sa.select(ClassificationRecord).where(
            ClassificationRecord.person_id == record.person_id,
            ClassificationRecord.classification_code == next_rules.code))
        if following is None:
            following = ClassificationRecord(
                id=uuid.uuid4(), person_id=record.person_id, classification_code=next_rules.code,
                local=next_rules.local, applied_on=on, status="pending_advancement",
                status_as_of=self.as_of, updated_at=now())
            self.session.add(following)
        else:  # applied for directly, or left earlier: this advancement places it
            following.applied_on = min(following.applied_on, on)
            following.closed_on = following.closed_reason = None
        following.placed_on = following.group_started_on = on
        self.publish(GroupAdvanced(person_id=record.person_id, from_classification_code=rules.code,
                                   to_classification_code=next_rules.code, as_of=on,
                                   from_classification_name=rules.name,
                                   to_classification_name=next_rules.name))
        self._audit("record.advanced", record, to_classification_code=next_rules.code, on=on)
        self.tally.advanced += 1
        self.session.flush()
        self._load_notices([following.id])
        self.record(following, facts)

    def _audit(self, action: str, record: ClassificationRecord, **details) -> None:
        audit.record(self.session, self.actor, action, "classification_record", record.id,
                     person_id=record.person_id, classification_code=record.classification_code,
                     as_of=self.as_of, **details)

    def _store_closed(self, record: ClassificationRecord, rules) -> None:
        old = record.status
        record.status = "closed"
        record.anticipated_advancement_on = record.lapses_on = None
        record.status_as_of = self.as_of
        record.updated_at = now()
        self.publish(StatusChanged(person_id=record.person_id, classification_code=rules.code,
                                   old_status=old, new_status="closed", as_of=self.as_of))

    # --- deadline warnings ---------------------------------------------------------------------

    def _lookback(self) -> date:
        """The earliest due date a reminder may still be sent for (after-lapse ones look back)."""
        latest_after = min((step for step in self.offsets if step < 0), default=0)
        return self.as_of + timedelta(days=min(0, latest_after - AFTER_LAPSE_GRACE))

    def _load_notices(self, record_ids: list[uuid.UUID]) -> None:
        for batch in chunks(record_ids):
            self._sent.update(self.session.execute(
                sa.select(DeadlineNotice.record_id, DeadlineNotice.requirement, DeadlineNotice.due_on,
                          DeadlineNotice.days_before)
                .where(DeadlineNotice.record_id.in_(batch),
                       DeadlineNotice.due_on >= self._lookback())).tuples())

    def _lapsed_deadlines(self, record: ClassificationRecord, result: Evaluation) -> list[tuple[str, date]]:
        """Deadlines already passed whose requirement is still unmet: the ones reminded of before
        (a lapsed document's row no longer carries its old date). A requirement met in the
        meantime (a renewed document, a course retaken) is no longer unmet, so nothing more goes."""
        unmet = {row.label[:200] for row in result.rows if row.state == "unmet"}
        if result.status == NOT_COMPLIANT:
            unmet.add(RECORD_LAPSE)
        return sorted({(requirement, due_on) for record_id, requirement, due_on, _ in self._sent
                       if record_id == record.id and due_on < self.as_of and requirement in unmet})

    def _claim_notice(self, record_id: uuid.UUID, requirement: str, due_on: date, step: int) -> bool:
        """The unique claim of one reminder (record, requirement, due date, offset): True for the
        one sweep that inserts it, whatever runs at the same time (another replica, a sweep run
        twice, a restart part-way). The claim commits with the event's outbox row."""
        values = {"record_id": record_id, "requirement": requirement, "due_on": due_on, "days_before": step}
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the Hub runs on PostgreSQL, tests also on SQLite
            raise RuntimeError(f"no claim for {dialect}")
        statement = insert(DeadlineNotice).values(**values).on_conflict_do_nothing()
        return self.session.execute(statement).rowcount == 1

    def _warn(self, record: ClassificationRecord, rules, result: Evaluation) -> None:
        deadlines = [(row.label, row.due_on) for row in result.rows
                     if row.due_on and (row.due_on >= self.as_of or row.state == "unmet")]
        if result.lapses_on and not any(due == result.lapses_on - timedelta(days=1) for _, due in deadlines):
            deadlines.append((RECORD_LAPSE, result.lapses_on - timedelta(days=1)))
        seen = {(label[:200], due_on) for label, due_on in deadlines}
        deadlines += [(label, due_on) for label, due_on in self._lapsed_deadlines(record, result)
                      if (label, due_on) not in seen]
        for label, due_on in deadlines:
            days_left = (due_on - self.as_of).days
            step = notice_step(days_left, self.offsets)
            if step is None:
                continue
            key = (record.id, label[:200], due_on, step)
            if key in self._sent:
                continue
            self._sent.add(key)
            if not self._claim_notice(*key):
                continue  # another sweep sent it
            self.publish(DeadlineApproaching(person_id=record.person_id, classification_code=rules.code,
                                             requirement=label, due_on=due_on, days_left=days_left,
                                             classification_name=rules.name,
                                             # an applicant's lapse delays placement; it suspends nothing
                                             placed=result.placed_on is not None))
            self.tally.warnings += 1


def reevaluate_people(session: Session, catalog, person_ids: Iterable[uuid.UUID], as_of: date,
                      actor=None, offsets: tuple[int, ...] | None = None) -> tuple[Tally, list[Event]]:
    """Re-evaluate these people's open records; returns (what happened, the events to publish)."""
    reevaluation = Reevaluation(session, catalog, as_of, actor, offsets)
    tally = reevaluation.people(person_ids)
    return tally, reevaluation.events
