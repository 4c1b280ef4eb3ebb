from __future__ import annotations

import logging
from datetime import date

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from common import daily
from common.audit import Actor, as_actor
from common.authz import Principal, require_role
from common.contracts.rosters import RecordWorkDaysIn, ReviewWorkDayIn, SubmitWorkDaysIn, SuspensionsOut, SweepIn
from common.db import Database
from common.errors import EXPECTED_ERRORS, ValidationFailed, parse_id, validated
from common.events import Event
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.events.training import CompletionExpired, CourseCompleted, Enrolled
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import EventPublisher
from common.secrets import RequiredSecrets
from rosters import applications, facts_events, payroll, suspensions, sweep, views, work
from rosters.clock import today
from rosters.models import Base, SweepRun
from rosters.records import Tally, reevaluate_people, reminder_offsets
from rosters.rulebook import Rulebook, publish_version
from rosters.search_rpcs import SearchRpcs

log = logging.getLogger(__name__)

from common.authz import STAFF  # noqa: E402


def _as_of(value) -> date:
    if value in (None, ""):
        return today()
    return validated(SweepIn, {"as_of": value}).as_of


def _require(actor, *roles: str) -> None:
    require_role(Principal(roles=as_actor(actor).roles), *roles)


class RostersService(StandardRpcs, SearchRpcs):
    """Owns classifications, classification records and work days. Publishes rosters.* events.

    Writes take an `actor` (from the gateway) so the audit log names who really acted. Each
    entrypoint validates, calls the domain (which returns its result and its events), publishes
    the events into the outbox, commits, and returns JSON."""
    name = "rosters"
    db = Database(Base)
    publish = EventPublisher()
    config = Config()
    rulebook = Rulebook()
    required_secrets = RequiredSecrets("HUB_SSN_KEY")  # payroll records are matched by its blind index

    @property
    def catalog(self):
        return self.rulebook.current(self.db)

    def _publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    # --- the catalog and people's records ------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_classifications(self, as_of=None) -> list:
        return views.list_classifications(self.catalog, _as_of(as_of))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def publish_catalog_version(self, text: str, actor: dict) -> dict:
        _require(actor, "staff_admin")
        published = publish_version(self.db, text, as_actor(actor))
        self.db.commit()
        return published

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def apply(self, person_id: str, classification_code: str, actor: dict, person: dict | None = None) -> dict:
        """`person`: {il_number, first_name, last_name} of the applicant as the caller knows them,
        so an application made before accounts.person_registered arrives needs no waiting."""
        person_id = parse_id(person_id, "person")
        record, events = applications.apply(self.db, self.catalog, person_id, classification_code or "",
                                            as_actor(actor), today(), person)
        self._publish_all(events)
        self.db.commit()
        return record.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_classifications(self, person_id: str, as_of=None) -> dict:
        return views.person_records(self.db, self.catalog, parse_id(person_id, "person"),
                                    _as_of(as_of)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_classification(self, person_id: str, code: str, as_of=None) -> dict:
        return views.person_record(self.db, self.catalog, parse_id(person_id, "person"), code or "",
                                   _as_of(as_of)).model_dump(mode="json")

    # --- staff suspensions and withdrawals -----------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def impose_suspension(self, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        data = validated(suspensions.ImposeSuspensionIn, payload)
        out, events = suspensions.impose(self.db, self.catalog, data, as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_suspensions(self, person_id: str, actor: dict) -> dict:
        _require(actor, *STAFF)
        found = suspensions.list_for_person(self.db, parse_id(person_id, "person"))
        return SuspensionsOut(suspensions=found).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def lift_suspension(self, suspension_id: str, payload: dict | None, actor: dict) -> dict:
        _require(actor, *STAFF)
        data = validated(suspensions.LiftSuspensionIn, payload or {})
        out, events = suspensions.lift(self.db, self.catalog, parse_id(suspension_id, "suspension"), data,
                                       as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    # --- work experience -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_work_experience(self, person_id: str) -> dict:
        return work.work_experience(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def submit_work_days(self, person_id: str, payload: dict, actor: dict, person: dict | None = None) -> dict:
        data = validated(SubmitWorkDaysIn, payload)
        out = work.submit_days(self.db, self.catalog, parse_id(person_id, "person"), data, as_actor(actor),
                               today(), person)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_work_days(self, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        data = validated(RecordWorkDaysIn, payload)
        out, events = work.record_days(self.db, self.catalog, data, as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def pending_work_days(self, actor: dict) -> list:
        _require(actor, *STAFF)
        return work.pending_days(self.db)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def verify_work_day(self, work_day_id: str, decision: str, reason: str | None, actor: dict) -> dict:
        _require(actor, *STAFF)
        data = validated(ReviewWorkDayIn, {"decision": decision, "reason": reason})
        out, events = work.review_day(self.db, self.catalog, parse_id(work_day_id, "work day"), data,
                                      as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("records",))
    def ingest_payroll(self, records: list, payroll_client_id: str | None, actor: dict) -> dict:
        _require(actor, "payroll_client")
        batch = payroll.PayrollBatch(records=records, payroll_client_id=payroll_client_id,
                                     actor=as_actor(actor), ssn_key=self.config)
        report, events = payroll.ingest(self.db, self.catalog, batch, today())
        self._publish_all(events)
        self.db.commit()
        return report.model_dump(mode="json")

    # --- the sweep -----------------------------------------------------------------------------

    def _sweep(self, day: date, actor) -> Tally:
        """A batch of people at a time: publish its events and commit before the next."""
        total = Tally()
        for tally, events in sweep.batches(self.db, self.catalog, day, actor, reminder_offsets(self.config)):
            self._publish_all(events)
            self.db.commit()
            total.add(tally)
        sweep.record_run(self.db, actor, day, total)
        return total

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def run_sweep(self, as_of, actor: dict) -> dict:
        _require(actor, *STAFF)
        if as_of in (None, ""):
            raise ValidationFailed("Say which day to sweep as of.", {"fields": {"as_of": "Field required"}})
        day = _as_of(as_of)
        tally = self._sweep(day, as_actor(actor))
        self.db.commit()
        return {"as_of": day.isoformat(), **tally.as_dict()}

    @timer(interval=3600, eager=True)
    def daily_sweep(self) -> None:
        """Hourly: run today's sweep if no replica has run it yet."""
        day = today()
        if not daily.claim_day(self.db, SweepRun, day):
            return
        tally = self._sweep(day, Actor.system())
        daily.finish_day(self.db, SweepRun, day, tally.as_dict())
        self.db.commit()
        log.info("daily sweep of %s: %s", day, tally.as_dict())

    # --- facts from other services: parse, first delivery, domain, publish, commit -------------

    def _reevaluate(self, person_id) -> None:
        _, events = reevaluate_people(self.db, self.catalog, [person_id], today())
        self._publish_all(events)

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_person_registered"):
            return
        # an upsert: the entry may exist already, made on demand when the person applied
        self._reevaluate(facts_events.register_person(self.db, event))
        self.db.commit()

    @event_handler("documents", "document_reviewed")
    def handle_document_reviewed(self, payload: dict) -> None:
        event = DocumentReviewed.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_document_reviewed"):
            return
        self._reevaluate(facts_events.document_reviewed(self.db, event))
        self.db.commit()

    @event_handler("documents", "document_expired")
    def handle_document_expired(self, payload: dict) -> None:
        event = DocumentExpired.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_document_expired"):
            return
        self._reevaluate(facts_events.document_expired(self.db, event))
        self.db.commit()

    @event_handler("training", "course_completed")
    def handle_course_completed(self, payload: dict) -> None:
        event = CourseCompleted.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_course_completed"):
            return
        self._reevaluate(facts_events.course_completed(self.db, event))
        self.db.commit()

    @event_handler("training", "completion_expired")
    def handle_completion_expired(self, payload: dict) -> None:
        event = CompletionExpired.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_completion_expired"):
            return
        self._reevaluate(facts_events.completion_expired(self.db, event))
        self.db.commit()

    @event_handler("training", "enrolled")
    def handle_enrolled(self, payload: dict) -> None:
        event = Enrolled.model_validate(payload)
        if not first_delivery(self.db, event, "rosters.handle_enrolled"):
            return
        self._reevaluate(facts_events.enrolled(self.db, event))
        self.db.commit()
