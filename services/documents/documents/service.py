from __future__ import annotations

import logging
from datetime import date, timedelta

from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from common import daily
from common.audit import Actor, as_actor
from common.authz import STAFF, Principal, as_principal, require_role
from common.clock import now, today
from common.contracts.cases import AttachIn, CaseFilters, LinkIn, MyCasesOut, OpenCaseIn, ReplyIn, StaffCasesOut
from common.contracts.documents import RegisterUploadIn, ReviewIn, ReviewQueueFiltersIn, SweepOut, UploadedOut
from common.db import Database
from common.errors import EXPECTED_ERRORS, NotFound, ValidationFailed, parse_id, validated
from common.events import Event
from common.events.accounts import PersonRegistered
from common.events.rosters import ApplicationStarted
from common.health import StandardRpcs, health_report
from common.idempotency import first_delivery
from common.logs import CorrelationIds
from common.messaging import event_handler, rpc
from common.metrics import Metrics
from common.projections import upsert_person
from common.publisher import EventPublisher
from common.storage import ObjectStorage
from documents import cases as case_domain
from documents import domain, orphans
from documents.cases import CASE_PREFIX, case_object_keys
from documents.document_types import DocumentTypesProvider
from documents.models import Base, ExpirySweepRun, Owner

log = logging.getLogger(__name__)

DOWNLOAD_LINK_LIFETIME = timedelta(minutes=5)


def _require_staff(actor) -> None:
    require_role(Principal(roles=as_actor(actor).roles), *STAFF)


def _as_of(value) -> date:
    if value in (None, ""):
        return today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("as_of is a date (YYYY-MM-DD).", {"fields": {"as_of": "Not a date"}}) from None


class DocumentsService(StandardRpcs):
    """Owns uploaded documents and their review. Publishes documents.* events.

    Replicas share nothing but the database and the bucket, so `--scale documents=3` simply
    adds competing consumers.
    """
    name = "documents"
    db = Database(Base)
    metrics = Metrics()  # /metrics on HUB_METRICS_PORT; times every entrypoint
    correlation = CorrelationIds()  # the correlation id in every log line (common.logs)
    publish = EventPublisher()
    storage = ObjectStorage()
    document_types = DocumentTypesProvider()

    @rpc
    def health(self) -> dict:
        report = health_report(self.name, self.db)
        self.storage.check()
        report["storage"] = "ok"
        return report

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not first_delivery(self.db, event, "documents.handle_person_registered"):
            return
        upsert_person(self.db, Owner, event)
        self.db.commit()

    @event_handler("rosters", "application_started")
    def handle_application_started(self, payload: dict) -> None:
        event = ApplicationStarted.model_validate(payload)
        if not first_delivery(self.db, event, "documents.handle_application_started"):
            return
        domain.record_application(self.db, event)
        self.db.commit()

    # --- documents: types, uploads, reads, review, expiry, orphans --------------------------------
    # Writes take the `actor` the gateway resolved (the audit log names who really acted); reads
    # take the `viewer` (a Principal): the owner or staff, anyone else is "not found".

    def _publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_document_types(self) -> dict:
        return self.document_types.out().model_dump(mode="json")

    def _drop_staged(self, key) -> None:
        if isinstance(key, str) and key.startswith("incoming/"):
            try:
                self.storage.delete(key)
            except Exception:  # the sweeper removes it later; the caller's error matters more
                log.warning("could not delete the staged object %s", key, exc_info=True)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def register_upload(self, payload: dict, actor: dict) -> dict:
        """Adopt a staged upload (`incoming/...`, stored by the gateway) as a document pending
        review, or answer the person's document with the same bytes. Whatever fails, neither a
        row nor an object is left behind."""
        staging_key = (payload or {}).get("staging_key") if isinstance(payload, dict) else None
        key = None
        try:
            data = validated(RegisterUploadIn, payload)
            stored = self.storage.stat(data.staging_key)
            if stored.size != data.size:
                raise ValidationFailed("The file did not arrive whole; upload it again.",
                                       {"fields": {"size": f"{stored.size} bytes stored, {data.size} announced"}})
            out, events = domain.register_upload(self.db, self.document_types, data, as_actor(actor), now(),
                                                 today())
            if out.created:
                key = domain.object_key_for(out.document.person_id, out.document.id)
                self.storage.move(data.staging_key, key)
            else:
                self.storage.delete(data.staging_key)
            self._publish_all(events)
            self.db.commit()
        except IntegrityError:
            # the same bytes, registered by a concurrent upload a moment ago: answer that one
            self.db.rollback()
            self._discard(key, staging_key)
            out = self._same_bytes(payload)
            if out is None:
                raise
        except NotFound:
            self.db.rollback()
            self._discard(key, staging_key)
            raise ValidationFailed("The uploaded file was not found; upload it again.",
                                   {"fields": {"staging_key": "No staged file"}}) from None
        except BaseException:
            self.db.rollback()
            self._discard(key, staging_key)
            raise
        return out.model_dump(mode="json")

    def _discard(self, key: str | None, staging_key) -> None:
        if key:
            try:
                self.storage.delete(key)
            except Exception:
                log.warning("could not delete %s after a failed upload", key, exc_info=True)
        self._drop_staged(staging_key)

    def _same_bytes(self, payload: dict) -> UploadedOut | None:
        data = RegisterUploadIn.model_validate(payload)
        existing = domain.same_bytes_on_file(self.db, data.person_id, data.sha256)
        if existing is None:
            return None
        return UploadedOut(document=domain.document_out(existing, self.document_types, today()), created=False)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_documents(self, person_id: str, viewer: dict) -> dict:
        return domain.list_documents(self.db, self.document_types, parse_id(person_id, "person"),
                                     as_principal(viewer), today()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_document(self, document_id: str, viewer: dict) -> dict:
        return domain.get_document(self.db, self.document_types, parse_id(document_id, "document"),
                                   as_principal(viewer), today()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def document_for_download(self, document_id: str, viewer: dict) -> dict:
        out = domain.document_for_download(self.db, parse_id(document_id, "document"), as_principal(viewer))
        out.presigned_url = self.storage.presigned_get_url(out.key, DOWNLOAD_LINK_LIFETIME)
        self.db.commit()  # the audit entry of a staff read
        return out.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def review_queue(self, filters: dict | None, viewer: dict) -> dict:
        require_role(as_principal(viewer), *STAFF)
        data = validated(ReviewQueueFiltersIn, filters or {})
        return domain.review_queue(self.db, self.document_types, data, today()).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def review_document(self, document_id: str, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(ReviewIn, payload)
        out, events = domain.review(self.db, self.document_types, parse_id(document_id, "document"), data,
                                    as_actor(actor), now(), today())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")

    def _sweep_expired(self, day: date, actor: Actor) -> int:
        """A batch at a time: publish its events and commit before the next."""
        total = 0
        while True:
            count, events = domain.expire_batch(self.db, self.document_types, day, now(), actor)
            self._publish_all(events)
            self.db.commit()
            total += count
            if count == 0:
                return total

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sweep_expired(self, as_of=None, actor: dict | None = None) -> dict:
        """Approved documents whose expiry date is before `as_of` (today by default) become
        expired, each announced once. Staff only when called with an actor."""
        if actor is not None:
            _require_staff(actor)
        day = _as_of(as_of)
        expired = self._sweep_expired(day, as_actor(actor))
        return SweepOut(as_of=day, expired=expired).model_dump(mode="json")

    @timer(interval=3600, eager=True)
    def daily_expiry_sweep(self) -> None:
        """Hourly: run today's expiry sweep if no replica has run it yet."""
        day = today()
        expired = daily.run_once_a_day(self.db, ExpirySweepRun, day,
                                       lambda: self._sweep_expired(day, Actor.system()))
        if expired is not None:
            log.info("expiry sweep of %s: %d documents expired", day, expired)

    def _orphan_owners(self) -> dict:
        # Contact Us files live in the same bucket, under their own prefix
        return {orphans.DOCUMENTS: orphans.document_object_keys, CASE_PREFIX: case_object_keys}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sweep_orphans(self, actor: dict | None = None) -> dict:
        """Remove staged objects older than an hour and stored objects no row claims."""
        if actor is not None:
            _require_staff(actor)
        keys = orphans.orphan_keys(self.db, self.storage, now(), self._orphan_owners())
        self.db.rollback()  # only read
        removed = 0
        for key in keys:
            try:
                self.storage.delete(key)
                removed += 1
            except Exception:
                log.warning("could not remove the orphan object %s", key, exc_info=True)
        log.info("orphan sweep: removed %d objects without a document", removed)
        return SweepOut(removed=removed).model_dump(mode="json")

    @timer(interval=3600, eager=False)
    def periodic_orphan_sweep(self) -> None:
        self.sweep_orphans()

    # --- Contact Us cases ---------------------------------------------------------------------
    # Seed 000 options 2 and 3: the Contact Us page and the documents mailbox. Rules in
    # documents.cases; each RPC validates, lets it decide, publishes, commits, answers a shape.

    case_topics = case_domain.CaseTopics()

    def _staff_case(self, case) -> dict:
        return case_domain.staff_case_out(self.db, self.case_topics, case).model_dump(mode="json")

    @rpc
    def list_case_topics(self) -> dict:
        return self.case_topics.out().model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def open_case(self, payload: dict, actor: dict | None = None) -> dict:
        """A case from the Contact Us page (the gateway staged its files) or from the documents
        mailbox (documents.inbound_mail staged them): OpenedCaseDetailOut."""
        data = validated(OpenCaseIn, payload)
        opened, events = case_domain.open_case(self.db, self.storage, self.case_topics, data, actor)
        self._publish_all(events)
        self.db.commit()
        return opened.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_my_cases(self, person_id: str) -> dict:
        cases = case_domain.my_cases(self.db, self.case_topics, parse_id(person_id, "person"))
        return MyCasesOut(cases=cases).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_cases(self, filters: dict, viewer: dict) -> dict:
        principal = as_principal(viewer)
        require_role(principal, *STAFF)
        data = validated(CaseFilters, filters or {})
        cases = case_domain.list_cases(self.db, self.case_topics, data, principal.account_id)
        return StaffCasesOut(cases=cases).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_case(self, case_id: str, viewer: dict) -> dict:
        require_role(as_principal(viewer), *STAFF)
        return self._staff_case(case_domain.get_case(self.db, parse_id(case_id, "case")))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def assign_case(self, case_id: str, actor: dict) -> dict:
        _require_staff(actor)
        case, events = case_domain.assign(self.db, parse_id(case_id, "case"), actor)
        self._publish_all(events)
        self.db.commit()
        return self._staff_case(case)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reply_to_case(self, case_id: str, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(ReplyIn, payload)
        case, events = case_domain.reply(self.db, parse_id(case_id, "case"), data, actor)
        self._publish_all(events)
        self.db.commit()
        return self._staff_case(case)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def link_case(self, case_id: str, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        data = validated(LinkIn, payload)
        case, events = case_domain.link(self.db, parse_id(case_id, "case"), data, actor)
        self._publish_all(events)
        self.db.commit()
        return self._staff_case(case)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def attach_case_file(self, case_id: str, payload: dict, actor: dict) -> dict:
        """A case's file becomes one of a person's documents, waiting for review: AttachedOut."""
        _require_staff(actor)
        data = validated(AttachIn, payload)
        (case, document_id, _created), events = case_domain.attach(
            self.db, self.storage, self.document_types, parse_id(case_id, "case"), data, actor)
        self._publish_all(events)
        self.db.commit()
        return {"case": self._staff_case(case), "document_id": str(document_id)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def close_case(self, case_id: str, actor: dict) -> dict:
        _require_staff(actor)
        case, events = case_domain.close(self.db, parse_id(case_id, "case"), actor)
        self._publish_all(events)
        self.db.commit()
        return self._staff_case(case)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def case_file_for_download(self, case_id: str, attachment_id: str, viewer: dict) -> dict:
        require_role(as_principal(viewer), *STAFF)
        download = case_domain.file_for_download(self.db, parse_id(case_id, "case"),
                                                 parse_id(attachment_id, "file"), self.storage,
                                                 as_principal(viewer).actor())
        self.db.commit()
        return download.model_dump(mode="json")

    # --- legacy import -------------------------------------------------------------------------
    # (issue 11; documents.import_rows) batches of papers on file in the legacy system, metadata
    # only, from the accounts service's import runner, people referred to by IL number.

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("rows",))
    def import_rows(self, kind: str, rows: list, actor: dict) -> dict:
        from documents import import_rows as importing

        _require_staff(actor)
        out, events = importing.import_rows(self.db, self.document_types, kind, rows, as_actor(actor), today(),
                                            now())
        self._publish_all(events)
        self.db.commit()
        return out.model_dump(mode="json")
