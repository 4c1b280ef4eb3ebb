from __future__ import annotations

import logging
import time
from datetime import date

from nameko.dependency_providers import Config
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
from common.logs import CorrelationIds
from common.messaging import event_handler, rpc
from common.metrics import PAYROLL_RECORDS, SWEEP_EVALUATED, SWEEP_SECONDS, Metrics
from common.publisher import EventPublisher
from common.secrets import RequiredSecrets
from rosters import (
    applications,
    facts_events,
    payroll,
    proofs,  # proofs of employment
    suspensions,
    sweep,
    views,
    work,
)
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
    metrics = Metrics()  # /metrics on HUB_METRICS_PORT; times every entrypoint
    correlation = CorrelationIds()  # the correlation id in every log line (common.logs)
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
        for outcome, count in (("accepted", report.accepted), ("held", report.held),
                               ("rejected", len(report.rejected)), ("duplicate", report.duplicates)):
            PAYROLL_RECORDS.labels(outcome).inc(count)
        return report.model_dump(mode="json")

    # --- the sweep -----------------------------------------------------------------------------

    def _sweep(self, day: date, actor, full: bool | None = None, trigger: str = "daily") -> Tally:
        """A batch of people at a time: publish its events and commit before the next. Today's
        re-evaluates the records time has made due; another day's, or a `full` one, all of them."""
        started = time.perf_counter()
        total = Tally()
        for tally, events in sweep.batches(self.db, self.catalog, day, actor, reminder_offsets(self.config),
                                           full=full):
            self._publish_all(events)
            self.db.commit()
            total.add(tally)
        sweep.record_run(self.db, actor, day, total)
        SWEEP_SECONDS.labels(trigger).observe(time.perf_counter() - started)
        SWEEP_EVALUATED.labels(trigger).inc(total.evaluated)
        return total

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def run_sweep(self, as_of, actor: dict, full: bool = False) -> dict:
        """Staff sweep as of a day: every record for another day, or when `full`; the records due
        for today (rosters.sweep)."""
        _require(actor, *STAFF)
        if as_of in (None, ""):
            raise ValidationFailed("Say which day to sweep as of.", {"fields": {"as_of": "Field required"}})
        day = _as_of(as_of)
        tally = self._sweep(day, as_actor(actor), full=True if full else None, trigger="staff")
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
        person_id = facts_events.register_person(self.db, event)
        # proofs of employment held for this SSN become theirs (their records start)
        self._publish_all(proofs.attach_held(self.db, self.catalog, person_id, event.ssn_index,
                                             event.last_name, today()))
        self._reevaluate(person_id)
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

    # --- union reps ----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def local_members(self, local: str, filters: dict | None, viewer: dict) -> dict:
        """A local's members and applicants, 25 a page (rep of that local, staff; else NotFound)."""
        from rosters import members
        data = validated(members.LocalMembersFilters, filters or {})
        return members.local_members(self.db, self.catalog, local, data, viewer, today()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def local_members_export(self, local: str, filters: dict | None, viewer: dict) -> dict:
        """Every matching record as CSV rows; audited as members.exported with the filters."""
        from rosters import members
        data = validated(members.LocalMembersFilters, filters or {})
        rows = members.export_rows(self.db, self.catalog, local, data, viewer, today())
        self.db.commit()
        return {"columns": list(members.CSV_COLUMNS), "rows": rows}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def local_summary(self, local: str, viewer: dict) -> dict:
        """The local's compliance snapshot: counts by status, deadlines near, applicants waiting."""
        from rosters import members
        return members.local_summary(self.db, self.catalog, local, viewer, today()).model_dump(mode="json")

    # --- proofs of employment ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("payload",))
    def submit_employment_proof(self, payload: dict, actor: dict, organisation: str | None = None) -> dict:
        """Staff, or an employer (`organisation`: its login's, for the audit and its list)."""
        _require(actor, "employer", *STAFF)
        data = validated(proofs.EmploymentProofIn, payload)
        out, events = proofs.submit(self.db, self.catalog, data, as_actor(actor), organisation, today(),
                                    self.config)
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def employed_people(self, actor: dict, organisation: str | None = None) -> dict:
        _require(actor, "employer", *STAFF)
        return proofs.employed_people(self.db, self.catalog, as_actor(actor), organisation,
                                      today()).model_dump(mode="json")

    # --- extensions and removals ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def request_extension(self, person_id: str, payload: dict, actor: dict) -> dict:
        from common.contracts.rosters import ExtensionRequestIn
        from rosters import extensions
        data = validated(ExtensionRequestIn, payload)
        out = extensions.request(self.db, self.catalog, parse_id(person_id, "person"), data, as_actor(actor),
                                 today())
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_extensions(self, person_id: str) -> dict:
        from common.contracts.rosters import ExtensionsOut
        from rosters import casework_data, extensions
        found = extensions.list_for_person(self.db, parse_id(person_id, "person"))
        return ExtensionsOut(extensions=found, circumstances=casework_data.circumstances()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def extension_queue(self, actor: dict, status: str | None = "requested") -> dict:
        _require(actor, *STAFF)
        from common.contracts.rosters import ExtensionsOut
        from rosters import casework_data, extensions
        return ExtensionsOut(extensions=extensions.queue(self.db, status or None),
                             circumstances=casework_data.circumstances()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide_extension(self, extension_id: str, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        from common.contracts.rosters import ExtensionDecisionIn
        from rosters import extensions
        data = validated(ExtensionDecisionIn, payload)
        out, events = extensions.decide(self.db, self.catalog, parse_id(extension_id, "extension"), data,
                                        as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def start_removal(self, person_id: str, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        from common.contracts.rosters import StartRemovalIn
        from rosters import casework_data, removals
        data = validated(StartRemovalIn, payload)
        out, events = removals.start(self.db, self.catalog, parse_id(person_id, "person"), data, as_actor(actor),
                                     today(), casework_data.protest_days(self.config))
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def protest_removal(self, person_id: str, removal_id: str, payload: dict, actor: dict) -> dict:
        from common.contracts.rosters import ProtestIn
        from rosters import removals
        data = validated(ProtestIn, payload)
        out, events = removals.protest(self.db, self.catalog, parse_id(person_id, "person"),
                                       parse_id(removal_id, "removal"), data, as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide_removal(self, removal_id: str, payload: dict, actor: dict) -> dict:
        _require(actor, *STAFF)
        from common.contracts.rosters import RemovalDecisionIn
        from rosters import removals
        data = validated(RemovalDecisionIn, payload)
        out, events = removals.decide(self.db, self.catalog, parse_id(removal_id, "removal"), data,
                                      as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_removals(self, person_id: str) -> dict:
        from common.contracts.rosters import RemovalsOut
        from rosters import casework_data, removals
        found = removals.list_for_person(self.db, parse_id(person_id, "person"), today())
        return RemovalsOut(removals=found, reasons=casework_data.removal_reasons()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def person_removals(self, person_id: str, actor: dict) -> dict:
        _require(actor, *STAFF)
        return self.my_removals(person_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def removal_protests(self, actor: dict) -> dict:
        _require(actor, *STAFF)
        from common.contracts.rosters import RemovalsOut
        from rosters import casework_data, removals
        return RemovalsOut(removals=removals.protests(self.db, today()),
                           reasons=casework_data.removal_reasons()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def casework_queues(self, actor: dict) -> dict:
        """Counts and the oldest item's age (days) of the extension and protest queues."""
        _require(actor, *STAFF)
        from rosters import extensions, removals
        day = today()
        return {"extensions": extensions.queue_summary(self.db, day),
                "protests": removals.protests_summary(self.db, day)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def expiring_records(self, within: int, actor: dict) -> dict:
        _require(actor, *STAFF)
        from rosters import removals
        try:
            days = int(within)
        except (TypeError, ValueError):
            raise ValidationFailed("within: a number of days.", {"fields": {"within": "not a number"}}) from None
        if not 1 <= days <= 366:
            raise ValidationFailed("within: between 1 and 366 days.", {"fields": {"within": "out of range"}})
        return {"as_of": today().isoformat(), "within": days, "rows": removals.expiring(self.db, today(), days)}

    # --- legacy import -------------------------------------------------------------------------
    # (issue 11; rosters.import_rows) batches of classification records and work days from the
    # accounts service's import runner, people referred to by IL number.

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("rows",))
    def import_rows(self, kind: str, rows: list, actor: dict) -> dict:
        from rosters import import_rows as importing

        _require(actor, *STAFF)
        out, events = importing.import_rows(self.db, self.catalog, kind, rows, as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    # --- staff reports: activity per month (rosters.monthly_report) -----------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def monthly_activity(self, months, local, actor: dict) -> dict:
        """Placements, suspensions, removals and reinstatements in each of the last `months`
        calendar months (12 if not given), for one local or all."""
        _require(actor, *STAFF)
        from common.contracts.rosters import MonthlyActivityIn
        from rosters import monthly_report
        data = validated(MonthlyActivityIn, {"months": 12 if months in (None, "") else months, "local": local})
        return monthly_report.monthly_activity(self.db, self.catalog, data, today()).model_dump(mode="json")

    # --- staff: held proofs of employment (rosters.proofs) ----------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def held_proofs(self, filters: dict | None, actor: dict) -> dict:
        """Proofs held for an SSN, oldest first, 25 a page, each with the person who registered
        with that SSN under another last name, if anyone did. Never the SSN."""
        _require(actor, *STAFF)
        from common.contracts.rosters import HeldProofsFilters
        data = validated(HeldProofsFilters, filters or {})
        return proofs.held_proofs(self.db, self.catalog, data, today()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def attach_held_proof(self, proof_id: str, person_id: str, actor: dict) -> dict:
        """Staff confirm the person with the proof's SSN is the one on it: it becomes theirs as it
        would have at registration. A proof decided already is a Conflict."""
        _require(actor, *STAFF)
        from common.contracts.rosters import AttachProofIn
        data = validated(AttachProofIn, {"person_id": person_id})
        out, events = proofs.attach_by_staff(self.db, self.catalog, parse_id(proof_id, "proof of employment"),
                                             data, as_actor(actor), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def dismiss_held_proof(self, proof_id: str, payload: dict, actor: dict) -> dict:
        """Set a held proof aside with a reason (kept, never attached). Decided already: Conflict."""
        _require(actor, *STAFF)
        from common.contracts.rosters import DismissProofIn
        data = validated(DismissProofIn, payload or {})
        out = proofs.dismiss_by_staff(self.db, parse_id(proof_id, "proof of employment"), data, as_actor(actor))
        self.db.commit()
        return out.model_dump(mode="json")
