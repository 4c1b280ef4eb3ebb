"""Re-evaluating classification records: the engine decides, this stores its answer in the status
columns and collects the events of what changed (placement, suspension, reinstatement,
advancement in grouping, deadline warnings); the entrypoint publishes them and commits.

Each evaluation also stores when the record is next due (`next_review_on`: the first day time
alone may change the answer or send a reminder, rosters.sweep) under a `review_basis`. Only what
changed is written, a batch's records in a few UPDATE … FROM (VALUES …) statements, and its
reminders claimed in a few INSERTs (`people`)."""
from __future__ import annotations

import hashlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
from rosters.engine.evaluate import Evaluation, evaluate, work_needs
from rosters.engine.facts import Facts
from rosters.facts_store import as_engine_record, chunks, facts_for_people, records_of_people, work_needs_of
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


# what a record's next_review_on was worked out with, besides its facts: the rules of every version
# of the catalog, the reminder schedule, and how the engine reads time (bump when that changes)
REVIEW_RULES = 1
NEVER = date.max  # next_review_on of a record that time alone will not change


def review_basis(catalog, offsets: tuple[int, ...]) -> str:
    """A short fingerprint of the catalog's versions and the reminder schedule: a record reviewed
    under another basis (a version published or shipped since, a new schedule) is due again."""
    versions = sorted((local.code, f.version, f.effective.isoformat())
                      for local in catalog.locals() for f in catalog.versions(local.code))
    text = repr((REVIEW_RULES, versions, tuple(offsets)))
    return hashlib.sha1(text.encode()).hexdigest()[:40]


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

    def __init__(self, session: Session, catalog, as_of: date, actor=None, offsets: tuple[int, ...] | None = None,
                 *, sweep: bool = False):
        self.session, self.catalog, self.as_of = session, catalog, as_of
        # the sweep keeps an unchanged answer's start (status_as_of); new facts start it again
        self.sweep = sweep
        self.offsets = offsets if offsets is not None else reminder_offsets()
        self.actor = actor or Actor.system()  # whose write set this off (a review, a payroll batch…)
        self.tally = Tally()
        self._events: list[Event] = []
        self._sent: dict[uuid.UUID, set[tuple]] = defaultdict(set)  # record id → reminders claimed
        self._reminders: list[tuple[tuple, DeadlineApproaching]] = []  # to claim, in one statement
        self._writes: dict[uuid.UUID, dict] | None = None  # a batch's column values, written together
        self._rules: dict[str, object] = {}
        self._record_needs: dict[uuid.UUID, dict[str, str]] = {}
        # the batch's records by (person, classification): open ones loaded, closed ones named
        self._open: dict[tuple, ClassificationRecord] = {}
        self._closed: set[tuple] | None = None
        self._catalog_changes: dict[str, date | None] = {}
        self._basis: str | None = None

    @property
    def basis(self) -> str:
        """The review basis of this catalog and reminder schedule (review_basis)."""
        if self._basis is None:
            self._basis = review_basis(self.catalog, self.offsets)
        return self._basis

    def publish(self, event: Event) -> None:
        self._events.append(event)

    @property
    def events(self) -> list[Event]:
        """What happened, to publish: the reminders waiting to be claimed are claimed first."""
        self._claim_reminders()
        return self._events

    def people(self, person_ids: Iterable[uuid.UUID], only: set[uuid.UUID] | None = None,
               span: tuple[uuid.UUID, uuid.UUID] | None = None) -> Tally:
        """Re-evaluate these people's open records (`only`: just these records of theirs).
        `span`: the ids are every person with an open record from span[0] to span[1]."""
        ids = list(dict.fromkeys(person_ids))
        for batch in ([ids] if span is not None else chunks(ids)):
            records = records_of_people(self.session, batch, for_update=True, span=span)
            self._known_records(records, batch, span)
            if only is not None:
                records = {pid: [r for r in rs if r.id in only] for pid, rs in records.items()}
                records = {pid: rs for pid, rs in records.items() if rs}
            if not records:
                continue
            facts = facts_for_people(self.session, list(records), needs=self._needs(records), span=span)
            self._load_notices([r.id for rs in records.values() for r in rs])
            self._writes = {}
            try:
                for person_id, person_records in records.items():
                    for record in person_records:
                        self.record(record, facts[person_id])
                self._write_batch()
            finally:
                self._writes, self._open, self._closed = None, {}, None
            self._claim_reminders()
        return self.tally

    def _known_records(self, records: dict, batch: list, span) -> None:
        """Which records the batch's people have, so an advancement need not look its next up."""
        self._open = {(r.person_id, r.classification_code): r for rs in records.values() for r in rs}
        record = ClassificationRecord
        people = record.person_id.between(*span) if span is not None else record.person_id.in_(batch)
        with self.session.no_autoflush:
            self._closed = set(self.session.execute(sa.select(record.person_id, record.classification_code)
                                                    .where(people, record.closed_on.is_not(None))).tuples())

    def _rules_of(self, code: str):
        if code not in self._rules:
            self._rules[code] = classification_or_none(self.catalog, code, self.as_of)
        return self._rules[code]

    def _needs(self, records: dict) -> dict[uuid.UUID, dict[str, str]]:
        """Which of each person's work days the evaluations read (engine.evaluate.work_needs)."""
        needs, per_record = work_needs_of(records, self._rules_of, self.as_of)
        self._record_needs.update(per_record)
        return needs

    def record(self, record: ClassificationRecord, facts: Facts) -> Evaluation | None:
        rules = self._rules_of(record.classification_code)
        if rules is None:
            log.warning("classification %s is not in the catalog on %s; record %s left as it is",
                        record.classification_code, self.as_of, record.id)
            return None
        engine_record = as_engine_record(record)
        needs = self._record_needs.pop(record.id, None)
        if not _covers(facts, needs if needs is not None else work_needs(engine_record, rules, self.as_of)):
            facts = facts_for_people(self.session, [record.person_id])[record.person_id]  # all of them
        result = evaluate(engine_record, rules, facts, self.as_of)
        self.tally.evaluated += 1
        if result.placed_on and record.placed_on is None:
            self._place(record, rules, result.placed_on)
        self._store(record, rules, result)
        reminder = self._warn(record, rules, result) if result.status != "closed" else None
        self._schedule(record, result, reminder)
        if (record.placed_on and rules.advances_to and result.anticipated_advancement_on
                and result.anticipated_advancement_on <= self.as_of):
            self._advance(record, rules, facts, result.anticipated_advancement_on)
        return result

    def _schedule(self, record: ClassificationRecord, result: Evaluation, reminder: date | None) -> None:
        """The day the record is next due for the daily sweep: the engine's (what time changes in
        the evaluation), the next reminder, the next version of its local's rules."""
        if result.status == "closed":
            review = NEVER
        else:
            review = min((d for d in (result.next_review_on, reminder, self._catalog_change(record.local))
                          if d is not None), default=NEVER)
        if record.next_review_on != review or record.review_basis != self.basis:
            self._write(record, next_review_on=review, review_basis=self.basis)

    def _write(self, record: ClassificationRecord, **values) -> None:
        """Set these columns; in a batch (`people`), a record already stored gets them in the
        batch's few UPDATE statements (_write_batch) rather than one of its own when flushed."""
        if self._writes is None or not sa.inspect(record).persistent:
            for name, value in values.items():
                setattr(record, name, value)
            return
        self._writes.setdefault(record.id, {}).update(values)
        for name, value in values.items():
            set_committed_value(record, name, value)

    def _write_batch(self) -> None:
        """One UPDATE … FROM (VALUES …) per thousand records with the same columns changed."""
        table = ClassificationRecord.__table__
        alike: dict[tuple, list] = {}
        for record_id, values in self._writes.items():
            names = tuple(sorted(values))
            alike.setdefault(names, []).append((record_id, *(values[n] for n in names)))
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        with self.session.no_autoflush:  # the other columns of these rows are the flush's to write
            for names, rows in alike.items():
                if postgresql:
                    _update_from_values(self.session, table, names, rows)
                    continue
                self.session.execute(  # SQLite: no round trips to save, and no VALUES with column names
                    table.update().where(table.c.id == sa.bindparam("_id"))
                    .values({n: sa.bindparam(f"_{n}") for n in names}),
                    [{"_id": row[0], **{f"_{n}": v for n, v in zip(names, row[1:], strict=True)}} for row in rows])

    def _catalog_change(self, local: str) -> date | None:
        """The next day after the as-of date on which another version of the local's rules applies."""
        if local not in self._catalog_changes:
            try:
                later = [f.effective for f in self.catalog.versions(local) if f.effective > self.as_of]
            except KeyError:  # the loader's NotFound: no such local
                later = []
            self._catalog_changes[local] = min(later, default=None)
        return self._catalog_changes[local]

    # --- transitions ---------------------------------------------------------------------------

    def _place(self, record: ClassificationRecord, rules, placed_on: date) -> None:
        self._write(record, placed_on=placed_on)
        if rules.group is not None and record.group_started_on is None:
            self._write(record, group_started_on=placed_on)
        self.publish(PlacedOnRoster(person_id=record.person_id, classification_code=rules.code,
                                    placed_on=placed_on, local=rules.local, classification_name=rules.name))
        self._audit("record.placed", record, placed_on=placed_on)
        self.tally.placed += 1

    def _store(self, record: ClassificationRecord, rules, result: Evaluation) -> None:
        """The engine's answer into the status columns, written only where it changed. The
        stored answer holds from `status_as_of` until the day before `next_review_on`: the sweep
        leaves the start of an answer unchanged inside that span; an evaluation for new facts,
        or outside the span, starts it again on the as-of date."""
        old, new = record.status or None, result.status
        if (record.status, record.anticipated_advancement_on, record.lapses_on) != (
                new, result.anticipated_advancement_on, result.lapses_on):
            self._write(record, status=new, status_as_of=self.as_of, lapses_on=result.lapses_on,
                        anticipated_advancement_on=result.anticipated_advancement_on, updated_at=now())
        elif not (self.sweep and record.status_as_of is not None and record.status_as_of <= self.as_of
                  and record.next_review_on is not None and self.as_of < record.next_review_on
                  and record.review_basis == self.basis) and record.status_as_of != self.as_of:
            self._write(record, status_as_of=self.as_of)
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
        self._write(record, closed_on=on, closed_reason=f"advanced to {next_rules.name}")
        self._store_closed(record, rules)
        key = (record.person_id, next_rules.code)
        following = self._open.get(key)
        if following is None and (self._closed is None or key in self._closed):
            with self.session.no_autoflush:  # the batch's changes are written together, later
                following = self.session.scalar(sa.select(ClassificationRecord).where(
                    ClassificationRecord.person_id == record.person_id,
                    ClassificationRecord.classification_code == next_rules.code))
        created = following is None
        if following is None:
            following = ClassificationRecord(
                id=uuid.uuid4(), person_id=record.person_id, classification_code=next_rules.code,
                local=next_rules.local, applied_on=on, status="pending_advancement",
                status_as_of=self.as_of, updated_at=now())
            self.session.add(following)
            self._open[key] = following
        else:  # applied for directly, or left earlier: this advancement places it
            self._write(following, applied_on=min(following.applied_on, on), closed_on=None, closed_reason=None)
        self._write(following, placed_on=on, group_started_on=on)
        self.publish(GroupAdvanced(person_id=record.person_id, from_classification_code=rules.code,
                                   to_classification_code=next_rules.code, as_of=on,
                                   from_classification_name=rules.name,
                                   to_classification_name=next_rules.name))
        self._audit("record.advanced", record, to_classification_code=next_rules.code, on=on)
        self.tally.advanced += 1
        if not created:  # a new record has no reminders yet
            with self.session.no_autoflush:
                self._load_notices([following.id])
        self.record(following, facts)

    def _audit(self, action: str, record: ClassificationRecord, **details) -> None:
        audit.record(self.session, self.actor, action, "classification_record", record.id,
                     person_id=record.person_id, classification_code=record.classification_code,
                     as_of=self.as_of, **details)

    def _store_closed(self, record: ClassificationRecord, rules) -> None:
        old = record.status
        self._write(record, status="closed", anticipated_advancement_on=None, lapses_on=None,
                    status_as_of=self.as_of, next_review_on=NEVER, updated_at=now())
        self.publish(StatusChanged(person_id=record.person_id, classification_code=rules.code,
                                   old_status=old, new_status="closed", as_of=self.as_of))

    # --- deadline warnings ---------------------------------------------------------------------

    def _lookback(self) -> date:
        """The earliest due date a reminder may still be sent for (after-lapse ones look back)."""
        latest_after = min((step for step in self.offsets if step < 0), default=0)
        return self.as_of + timedelta(days=min(0, latest_after - AFTER_LAPSE_GRACE))

    def _load_notices(self, record_ids: list[uuid.UUID]) -> None:
        for batch in chunks(record_ids):
            for row in self.session.execute(
                    sa.select(DeadlineNotice.record_id, DeadlineNotice.requirement, DeadlineNotice.due_on,
                              DeadlineNotice.days_before)
                    .where(DeadlineNotice.record_id.in_(batch), DeadlineNotice.due_on >= self._lookback())).tuples():
                self._sent[row[0]].add(tuple(row))

    def _lapsed_deadlines(self, record: ClassificationRecord, result: Evaluation) -> list[tuple[str, date]]:
        """Deadlines already passed whose requirement is still unmet: the ones reminded of before
        (a lapsed document's row no longer carries its old date). A requirement met in the
        meantime (a renewed document, a course retaken) is no longer unmet, so nothing more goes."""
        sent = self._sent.get(record.id)
        if not sent:
            return []
        unmet = {row.label[:200] for row in result.rows if row.state == "unmet"}
        if result.status == NOT_COMPLIANT:
            unmet.add(RECORD_LAPSE)
        return sorted({(requirement, due_on) for _, requirement, due_on, _ in sent
                       if due_on < self.as_of and requirement in unmet})

    def _claims(self):
        """INSERT … ON CONFLICT DO NOTHING into deadline_notices, for this database."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:  # pragma: no cover - the Hub runs on PostgreSQL, tests also on SQLite
            raise RuntimeError(f"no claim for {dialect}")
        return insert(DeadlineNotice)

    def _claim_notice(self, record_id: uuid.UUID, requirement: str, due_on: date, step: int) -> bool:
        """The unique claim of one reminder (record, requirement, due date, offset): True for the
        one sweep that inserts it, whatever runs at the same time (another replica, a sweep run
        twice, a restart part-way). The claim commits with the event's outbox row."""
        values = {"record_id": record_id, "requirement": requirement, "due_on": due_on, "days_before": step}
        return self.session.execute(self._claims().values(**values).on_conflict_do_nothing()).rowcount == 1

    def _claim_reminders(self) -> None:
        """The reminders due, claimed as `_claim_notice` claims one, a few hundred in a statement:
        a reminder's event goes out from the one sweep whose insert took its row."""
        pending, self._reminders = self._reminders, []
        if not pending:
            return
        notice = DeadlineNotice
        claimed: set[tuple] = set()
        for part in chunks(pending):
            rows = [{"record_id": k[0], "requirement": k[1], "due_on": k[2], "days_before": k[3]} for k, _ in part]
            statement = (self._claims().values(rows).on_conflict_do_nothing()
                         .returning(notice.record_id, notice.requirement, notice.due_on, notice.days_before))
            claimed.update(tuple(row) for row in self.session.execute(statement))
        for key, event in pending:
            if key in claimed:  # else another sweep sent it
                self._events.append(event)
                self.tally.warnings += 1

    def _warn(self, record: ClassificationRecord, rules, result: Evaluation) -> date | None:
        """Send the reminders due today; returns the next day one may be (for `_schedule`)."""
        deadlines = [(row.label, row.due_on) for row in result.rows
                     if row.due_on and (row.due_on >= self.as_of or row.state == "unmet")]
        if result.lapses_on and not any(due == result.lapses_on - timedelta(days=1) for _, due in deadlines):
            deadlines.append((RECORD_LAPSE, result.lapses_on - timedelta(days=1)))
        seen = {(label[:200], due_on) for label, due_on in deadlines}
        deadlines += [(label, due_on) for label, due_on in self._lapsed_deadlines(record, result)
                      if (label, due_on) not in seen]
        sent = self._sent[record.id]
        later = [d for _, due_on in deadlines
                 for d in (due_on + timedelta(days=1), *(due_on - timedelta(days=step) for step in self.offsets))
                 if d > self.as_of]
        for label, due_on in deadlines:
            days_left = (due_on - self.as_of).days
            step = notice_step(days_left, self.offsets)
            if step is None:
                continue
            key = (record.id, label[:200], due_on, step)
            if key in sent:
                continue
            sent.add(key)
            # claimed with the batch's others (_claim_reminders); the event goes if the claim is ours
            self._reminders.append((key, DeadlineApproaching(
                person_id=record.person_id, classification_code=rules.code, requirement=label, due_on=due_on,
                days_left=days_left, classification_name=rules.name,
                # an applicant's lapse delays placement; it suspends nothing
                placed=result.placed_on is not None)))
        return min(later, default=None)


def _update_from_values(session: Session, table: sa.Table, names: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE table SET name = v.name, … FROM (VALUES (id, …), …) AS v WHERE table.id = v.id, through
    psycopg2's execute_values: a statement per thousand rows, no SQL built per row."""
    from psycopg2.extras import execute_values

    dialect = session.get_bind().dialect
    types = {n: table.c[n].type.compile(dialect=dialect) for n in names}
    sets = ", ".join(f"{n} = v.{n}::{types[n]}" for n in names)  # casts: a column of nulls reads as text
    sql = (f"UPDATE {table.name} SET {sets} FROM (VALUES %s) AS v (id, {', '.join(names)}) "
           f"WHERE {table.name}.id = v.id::uuid")
    cursor = session.connection().connection.cursor()
    try:
        execute_values(cursor, sql, [(str(row[0]), *row[1:]) for row in rows], page_size=1000)
    finally:
        cursor.close()


def _covers(facts: Facts, needs: dict[str, str]) -> bool:
    """Whether these facts hold the work days an evaluation reads (`needs`)."""
    history = facts.history
    return history is None or all(history.covers(code, need) for code, need in needs.items())


def reevaluate_people(session: Session, catalog, person_ids: Iterable[uuid.UUID], as_of: date,
                      actor=None, offsets: tuple[int, ...] | None = None) -> tuple[Tally, list[Event]]:
    """Re-evaluate these people's open records; returns (what happened, the events to publish)."""
    reevaluation = Reevaluation(session, catalog, as_of, actor, offsets)
    reevaluation.people(person_ids)
    events = reevaluation.events
    return reevaluation.tally, events
