from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError, OperationalError

from common import daily
from common.audit import Actor, as_actor
from common.authz import STAFF, Principal, require_role
from common.clock import now, today
from common.contracts.training import (
    AttendanceIn,
    EnrollIn,
    ProgressIn,
    QuizAnswersIn,
    SessionFiltersIn,
    SessionIn,
    StaffCompletionIn,
    TrainingSweepOut,
)
from common.db import Database
from common.errors import EXPECTED_ERRORS, ValidationFailed, parse_id, validated
from common.events import Event
from common.events.accounts import PersonRegistered
from common.events.rosters import (
    ApplicationStarted,
    GroupAdvanced,
    PlacedOnRoster,
    Reinstated,
    StatusChanged,
    Suspended,
)
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.logs import CorrelationIds
from common.messaging import event_handler, rpc
from common.metrics import Metrics
from common.projections import upsert_person
from common.publisher import EventPublisher
from training import domain, projection, reports
from training.courses import CoursesProvider
from training.models import Base, CompletionSweepRun, Learner

log = logging.getLogger(__name__)


def _require_staff(actor) -> None:
    require_role(Principal(roles=as_actor(actor).roles), *STAFF)


def _as_of(value) -> date:
    if value in (None, ""):
        return today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("as_of is a date (YYYY-MM-DD).", {"fields": {"as_of": "Not a date"}}) from None


def _locked(exc: OperationalError) -> bool:
    # SQLite answers a writer that lost a race for its file lock at once ("database is locked");
    # the write is simply done again on a fresh transaction
    return "locked" in str(exc.orig).lower() or "busy" in str(exc.orig).lower()


class TrainingService(StandardRpcs):
    """Owns courses, enrollments and completions. Publishes training.* events.

    Entry points validate, let `training.domain` decide (it returns its result and its events),
    publish the events into the outbox, commit, and answer a shape of common.contracts.training.
    The person's classification records come from rosters.* events (training.projection)."""
    name = "training"
    db = Database(Base)
    metrics = Metrics()  # /metrics on HUB_METRICS_PORT; times every entrypoint
    correlation = CorrelationIds()  # the correlation id in every log line (common.logs)
    publish = EventPublisher()
    courses = CoursesProvider()

    def _publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    def _write(self, change: Callable[[], tuple[object, list[Event]]], attempts: int = 3):
        """Run a domain write, publish its events and commit; roll back on any refusal."""
        for attempt in range(attempts):
            try:
                result, events = change()
                self._publish_all(events)
                self.db.commit()
                return result
            except OperationalError as exc:
                self.db.rollback()
                if not _locked(exc) or attempt == attempts - 1:
                    raise
            except BaseException:
                self.db.rollback()
                raise

    # --- the catalog and what a person may take -----------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_courses(self) -> dict:
        return domain.list_courses(self.courses).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_course(self, code: str) -> dict:
        return domain.get_course(self.db, self.courses, str(code or ""), now()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_training(self, person_id: str) -> dict:
        return domain.my_training(self.db, self.courses, parse_id(person_id, "person"),
                                  today()).model_dump(mode="json")

    # --- enrolling and taking a course -----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def enroll(self, person_id: str, payload: dict, actor: dict) -> dict:
        """EnrollmentOut: enrolled, or waitlisted for a full session; an open enrollment for the
        same course is answered as it is. Refusals: Conflict (not eligible, prerequisite missing,
        already completed and current) with the reason and what unlocks it."""
        person = parse_id(person_id, "person")
        data = validated(EnrollIn, payload)
        (out, _created) = self._write(lambda: domain.enroll(self.db, self.courses, person, data, as_actor(actor),
                                                             now(), today()))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_enrollments(self, person_id: str) -> dict:
        return domain.list_enrollments(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_enrollment(self, person_id: str, enrollment_id: str) -> dict:
        return domain.get_enrollment(self.db, self.courses, parse_id(person_id, "person"),
                                     parse_id(enrollment_id, "enrollment")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def save_progress(self, person_id: str, enrollment_id: str, payload: dict, actor: dict) -> dict:
        person, enrollment = parse_id(person_id, "person"), parse_id(enrollment_id, "enrollment")
        data = validated(ProgressIn, payload)
        try:
            out = self._write(lambda: domain.save_progress(self.db, self.courses, person, enrollment, data,
                                                           as_actor(actor), now()))
        except IntegrityError:  # the same module saved twice at once (two devices): already saved
            out = domain.get_enrollment(self.db, self.courses, person, enrollment)
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def submit_quiz(self, person_id: str, enrollment_id: str, payload: dict, actor: dict) -> dict:
        """QuizResultOut: passed, score, the ids of the questions answered wrongly, attempts left;
        passing records the completion and publishes training.course_completed."""
        person, enrollment = parse_id(person_id, "person"), parse_id(enrollment_id, "enrollment")
        data = validated(QuizAnswersIn, payload)
        out = self._write(lambda: domain.submit_quiz(self.db, self.courses, person, enrollment, data,
                                                     as_actor(actor), now(), today()))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def cancel_enrollment(self, person_id: str, enrollment_id: str, actor: dict) -> dict:
        person, enrollment = parse_id(person_id, "person"), parse_id(enrollment_id, "enrollment")
        out = self._write(lambda: domain.cancel(self.db, self.courses, person, enrollment, as_actor(actor), now()))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def transcript(self, person_id: str) -> dict:
        return domain.transcript(self.db, self.courses, parse_id(person_id, "person"),
                                 today()).model_dump(mode="json")

    # --- staff: completions from elsewhere, in-person sessions ------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_completion(self, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(StaffCompletionIn, payload)
        out = self._write(lambda: domain.record_completion(self.db, self.courses, data, as_actor(actor), now(),
                                                           today()))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def schedule_session(self, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(SessionIn, payload)
        out = self._write(lambda: domain.schedule_session(self.db, self.courses, data, as_actor(actor), now()))
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_sessions(self, filters: dict | None, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(SessionFiltersIn, filters or {})
        return domain.list_sessions(self.db, data, now()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_session(self, session_id: str, actor: dict) -> dict:
        _require_staff(actor)
        return domain.session_roster(self.db, parse_id(session_id, "session")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def record_attendance(self, session_id: str, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        course_session = parse_id(session_id, "session")
        data = validated(AttendanceIn, payload)
        out = self._write(lambda: domain.record_attendance(self.db, self.courses, course_session, data,
                                                           as_actor(actor), now(), today()))
        return out.model_dump(mode="json")

    # --- expiry: computed on every read, made a fact once a day -----------------------------------

    def _sweep_expired(self, day: date, actor: Actor) -> int:
        """A batch at a time: publish its events and commit before the next."""
        expired = 0
        while True:
            handled, events = domain.expire_batch(self.db, self.courses, day, now(), actor)
            self._publish_all(events)
            self.db.commit()
            expired += len(events)
            if handled == 0:
                return expired

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sweep_expired(self, as_of=None, actor: dict | None = None) -> dict:
        """Completions whose refresher period ended before `as_of` (today by default) are
        expired, each announced once. Staff only when called with an actor."""
        if actor is not None:
            _require_staff(actor)
        day = _as_of(as_of)
        expired = self._sweep_expired(day, as_actor(actor))
        return TrainingSweepOut(as_of=day, expired=expired).model_dump(mode="json")

    @timer(interval=3600, eager=True)
    def daily_expiry_sweep(self) -> None:
        """Hourly: run today's completion expiry sweep if no replica has run it yet."""
        day = today()
        expired = daily.run_once_a_day(self.db, CompletionSweepRun, day,
                                       lambda: self._sweep_expired(day, Actor.system()))
        if expired is not None:
            log.info("completion expiry sweep of %s: %d completions expired", day, expired)

    # --- facts from other services: parse, first delivery, apply, commit -----------------------------

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_person_registered"):
            return
        upsert_person(self.db, Learner, event)
        self.db.commit()

    @event_handler("rosters", "application_started")
    def handle_application_started(self, payload: dict) -> None:
        event = ApplicationStarted.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_application_started"):
            return
        projection.application_started(self.db, event)
        self.db.commit()

    @event_handler("rosters", "status_changed")
    def handle_status_changed(self, payload: dict) -> None:
        event = StatusChanged.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_status_changed"):
            return
        projection.status_changed(self.db, event)
        self.db.commit()

    @event_handler("rosters", "placed_on_roster")
    def handle_placed_on_roster(self, payload: dict) -> None:
        event = PlacedOnRoster.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_placed_on_roster"):
            return
        projection.placed_on_roster(self.db, event)
        self.db.commit()

    @event_handler("rosters", "suspended")
    def handle_suspended(self, payload: dict) -> None:
        event = Suspended.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_suspended"):
            return
        projection.suspended(self.db, event)
        self.db.commit()

    @event_handler("rosters", "reinstated")
    def handle_reinstated(self, payload: dict) -> None:
        event = Reinstated.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_reinstated"):
            return
        projection.reinstated(self.db, event)
        self.db.commit()

    @event_handler("rosters", "group_advanced")
    def handle_group_advanced(self, payload: dict) -> None:
        event = GroupAdvanced.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_group_advanced"):
            return
        projection.group_advanced(self.db, event)
        self.db.commit()

    # --- Compliance Report codes ---

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def issue_report_code(self, person_id: str, actor: dict) -> dict:
        person = parse_id(person_id, "person")
        issued = self._write(lambda: (reports.issue_code(self.db, person, actor), []))
        return issued.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def verify_report_code(self, code: str) -> dict:
        return reports.verify_code(self.db, code).model_dump(mode="json")

    # --- legacy import -------------------------------------------------------------------------
    # (issue 11; training.import_rows) batches of completions from the accounts service's import
    # runner, people referred to by IL number.

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("rows",))
    def import_rows(self, kind: str, rows: list, actor: dict) -> dict:
        from training import import_rows as importing

        _require_staff(actor)
        out = self._write(lambda: importing.import_rows(self.db, self.courses, kind, rows, as_actor(actor), today(),
                                                        now()))
        return out.model_dump(mode="json")
