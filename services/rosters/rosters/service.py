from __future__ import annotations

import logging
from datetime import date

import eventlet
from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer

from common.audit import Actor, as_actor
from common.authz import Principal, require_role
from common.db import Database
from common.errors import EXPECTED_ERRORS, ValidationFailed, parse_id, validated
from common.events.accounts import PersonRegistered
from common.events.documents import DocumentExpired, DocumentReviewed
from common.events.training import CompletionExpired, CourseCompleted, Enrolled
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import EventPublisher
from rosters import applications, facts_events, payroll, sweep, views, work
from rosters.clock import today
from rosters.models import Base
from rosters.records import reevaluate_people
from rosters.rulebook import CatalogSync, current_catalog, publish_version
from rosters.schemas import RecordWorkDaysIn, ReviewWorkDayIn, SubmitWorkDaysIn, SweepIn
from rosters.search_rpcs import SearchRpcs

log = logging.getLogger(__name__)

STAFF = ("staff_reviewer", "staff_admin")
# Create Account then Apply can outrun accounts.person_registered by a moment
PERSON_WAIT_SECONDS = 5.0


def _as_of(value) -> date:
    if value in (None, ""):
        return today()
    return validated(SweepIn, {"as_of": value}).as_of


def _require(actor, *roles: str) -> None:
    require_role(Principal(roles=as_actor(actor).roles), *roles)


class RostersService(StandardRpcs, SearchRpcs):
    """Owns classifications, classification records and work days. Publishes rosters.* events.

    Writes take an `actor` (from the gateway) so the audit log names who really acted."""
    name = "rosters"
    db = Database(Base)
    publish = EventPublisher()
    config = Config()
    catalog_sync = CatalogSync()

    @property
    def catalog(self):
        return current_catalog(self.db)

    def _reevaluate(self, person_id) -> None:
        reevaluate_people(self.db, self.catalog, [person_id], today(), self.publish)

    def _wait_for_person(self, person_id) -> None:
        waited = 0.0
        while not applications.person_is_known(self.db, person_id) and waited < PERSON_WAIT_SECONDS:
            self.db.rollback()  # a fresh snapshot on the next look
            eventlet.sleep(0.2)
            waited += 0.2

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
    def apply(self, person_id: str, classification_code: str, actor: dict) -> dict:
        person_id = parse_id(person_id, "person")
        self._wait_for_person(person_id)
        record = applications.apply(self.db, self.catalog, person_id, classification_code or "",
                                    as_actor(actor), self.publish, today())
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

    # --- work experience -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_work_experience(self, person_id: str) -> dict:
        return work.work_experience(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def submit_work_days(self, person_id: str, payload: dict, actor: dict) -> dict:
        data = validated(SubmitWorkDaysIn, payload)
        person_id = parse_id(person_id, "person")
        self._wait_for_person(person_id)
        out = work.submit_days(self.db, self.catalog, person_id, data, as_actor(actor), today())
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_work_days(self, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        data = validated(RecordWorkDaysIn, payload)
        out = work.record_days(self.db, self.catalog, data, as_actor(actor), self.publish, today())
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
        out = work.review_day(self.db, self.catalog, parse_id(work_day_id, "work day"), data,
                              as_actor(actor), self.publish, today())
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("records",))
    def ingest_payroll(self, records: list, payroll_client_id: str | None, actor: dict) -> dict:
        _require(actor, "payroll_client")
        report = payroll.ingest(self.db, self.catalog, records, payroll_client_id, as_actor(actor),
                                self.publish, today(), self.config)
        self.db.commit()
        return report.model_dump(mode="json")

    # --- the sweep -----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def run_sweep(self, as_of, actor: dict) -> dict:
        _require(actor, *STAFF)
        if as_of in (None, ""):
            raise ValidationFailed("Say which day to sweep as of.", {"fields": {"as_of": "Field required"}})
        day = _as_of(as_of)
        tally = sweep.run_sweep(self.db, self.catalog, day, self.publish, as_actor(actor), self.db.commit)
        self.db.commit()
        return {"as_of": day.isoformat(), **tally.as_dict()}

    @timer(interval=3600, eager=True)
    def daily_sweep(self) -> None:
        """Hourly: run today's sweep if no replica has run it yet."""
        day = today()
        if not sweep.claim_day(self.db, day):
            return
        tally = sweep.run_sweep(self.db, self.catalog, day, self.publish, Actor.system(), self.db.commit)
        sweep.finish_day(self.db, day, tally)
        self.db.commit()
        log.info("daily sweep of %s: %s", day, tally.as_dict())

    # --- facts from other services -------------------------------------------------------------

    def _apply_fact(self, event, consumer: str, apply) -> None:
        if not first_delivery(self.db, event, f"rosters.{consumer}"):
            return
        self._reevaluate(apply(self.db, event))
        self.db.commit()

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        self._apply_fact(PersonRegistered.model_validate(payload), "handle_person_registered",
                         facts_events.register_person)

    @event_handler("documents", "document_reviewed")
    def handle_document_reviewed(self, payload: dict) -> None:
        self._apply_fact(DocumentReviewed.model_validate(payload), "handle_document_reviewed",
                         facts_events.document_reviewed)

    @event_handler("documents", "document_expired")
    def handle_document_expired(self, payload: dict) -> None:
        self._apply_fact(DocumentExpired.model_validate(payload), "handle_document_expired",
                         facts_events.document_expired)

    @event_handler("training", "course_completed")
    def handle_course_completed(self, payload: dict) -> None:
        self._apply_fact(CourseCompleted.model_validate(payload), "handle_course_completed",
                         facts_events.course_completed)

    @event_handler("training", "completion_expired")
    def handle_completion_expired(self, payload: dict) -> None:
        self._apply_fact(CompletionExpired.model_validate(payload), "handle_completion_expired",
                         facts_events.completion_expired)

    @event_handler("training", "enrolled")
    def handle_enrolled(self, payload: dict) -> None:
        self._apply_fact(Enrolled.model_validate(payload), "handle_enrolled", facts_events.enrolled)
