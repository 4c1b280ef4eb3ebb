from __future__ import annotations

import time

from nameko.dependency_providers import Config
from nameko.timer import timer

from common import audit, daily
from common import config as hub_config
from common.audit import as_actor
from common.authz import STAFF, Principal, require_role
from common.clock import today
from common.contracts.notifications import BulletinIn, BulletinPatch, MessageFiltersIn, PreferencesIn
from common.db import Database
from common.errors import EXPECTED_ERRORS, parse_id, validated
from common.events.accounts import (
    AccountClaimed,
    ContactDetailsChanged,
    InvitationSent,
    PasswordResetRequested,
    PersonRegistered,
)
from common.events.documents import CaseOpened, CaseReplied, DocumentExpired, DocumentReviewed
from common.events.rosters import (
    ApplicationStarted,
    DeadlineApproaching,
    ExtensionDecided,
    GroupAdvanced,
    PlacedOnRoster,
    Reinstated,
    Removed,
    StatusChanged,
    Suspended,
)
from common.events.training import CompletionExpired, CourseCompleted, Enrolled, PromotedFromWaitlist
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.logs import CorrelationIds
from common.messaging import event_handler, rpc
from common.metrics import Metrics
from common.publisher import EventPublisher
from notifications import bulletins, domain, preferences
from notifications.bulletins import ResourcesProvider
from notifications.models import Base, DigestRun
from notifications.sender import MailSender

BULLETIN_TICK_SECONDS = 5     # how soon the rest of a bulletin's audience starts being told
BULLETIN_BUDGET_SECONDS = 20  # a tick's work; the next tick carries on


def _require_staff(actor) -> None:
    require_role(Principal(roles=as_actor(actor).roles), *STAFF)


class NotificationsService(StandardRpcs):
    """Owns the Message Center and outgoing e-mail. Publishes notifications.* events.

    Every handler reads the same way: parse the contract, skip an event already applied, let
    the domain decide, publish what it returns, commit (the events go out with the change)."""
    name = "notifications"
    db = Database(Base)
    metrics = Metrics()  # /metrics on HUB_METRICS_PORT; times every entrypoint
    correlation = CorrelationIds()  # the correlation id in every log line (common.logs)
    publish = EventPublisher()
    config = Config()
    mail = MailSender()

    def _public_url(self) -> str:
        return hub_config.public_url(self.config)

    # --- the Message Center (gateway: /api/v1/me/messages) --------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_messages(self, person_id: str, filters: dict | None = None) -> dict:
        parsed = MessageFiltersIn.model_validate(filters or {})
        return domain.list_messages(self.db, parse_id(person_id, "person"), parsed).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def unread_count(self, person_id: str) -> int:
        return domain.unread_count(self.db, parse_id(person_id, "person"))

    def _change_message(self, change, action: str, person_id: str, message_id: str, actor: dict | None) -> None:
        change(self.db, parse_id(person_id, "person"), parse_id(message_id, "message"))
        audit.record(self.db, actor, action, "message", message_id, person_id=person_id)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_message_read(self, person_id: str, message_id: str, actor: dict | None = None) -> None:
        self._change_message(domain.mark_read, "message.read", person_id, message_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_message_unread(self, person_id: str, message_id: str, actor: dict | None = None) -> None:
        self._change_message(domain.mark_unread, "message.unread", person_id, message_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def archive_message(self, person_id: str, message_id: str, actor: dict | None = None) -> None:
        self._change_message(domain.archive, "message.archived", person_id, message_id, actor)

    # --- e-mail preferences and the record of sends ---------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_preferences(self, person_id: str) -> dict:
        return preferences.get_preferences(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_preferences(self, person_id: str, payload: dict, actor: dict | None = None) -> dict:
        parsed = PreferencesIn.model_validate(payload or {})
        result, changed = preferences.update_preferences(self.db, parse_id(person_id, "person"), parsed)
        audit.record(self.db, actor, "preferences.updated", "person", person_id, person_id=person_id, **changed)
        self.db.commit()
        return result.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_deliveries(self, person_id: str, actor: dict | None = None) -> dict:
        _require_staff(actor)
        return preferences.list_deliveries(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @timer(interval=3600, eager=False)
    def daily_digest(self) -> None:
        """Hourly: gather today's digest once, whatever the number of replicas (common.daily)."""
        day = today()
        if not daily.claim_day(self.db, DigestRun, day):
            return
        sent = preferences.gather_digests(self.db, self._public_url())
        daily.finish_day(self.db, DigestRun, day, {"digests": sent})
        self.db.commit()

    # --- accounts.* ----------------------------------------------------------------------------

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not event.has_account:  # a migrated record is welcomed when it is claimed instead
            return
        if not first_delivery(self.db, event, "notifications.handle_person_registered"):
            return
        _message, events = domain.welcome(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("accounts", "invitation_sent")
    def handle_invitation_sent(self, payload: dict) -> None:
        event = InvitationSent.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_invitation_sent"):
            return
        _email, events = domain.invitation(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("accounts", "password_reset_requested")
    def handle_password_reset_requested(self, payload: dict) -> None:
        event = PasswordResetRequested.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_password_reset_requested"):
            return
        _email, events = domain.password_reset(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("accounts", "account_claimed")
    def handle_account_claimed(self, payload: dict) -> None:
        event = AccountClaimed.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_account_claimed"):
            return
        _message, events = domain.account_ready(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("accounts", "contact_details_changed")
    def handle_contact_details_changed(self, payload: dict) -> None:
        event = ContactDetailsChanged.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_contact_details_changed"):
            return
        _recipient, events = domain.record_contact(self.db, event)
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    # --- rosters.*: each a message, also e-mailed ----------------------------------------------

    @event_handler("rosters", "placed_on_roster")
    def handle_placed_on_roster(self, payload: dict) -> None:
        event = PlacedOnRoster.model_validate(payload)
        if event.imported:  # history from the legacy import is not news (issue 11)
            return
        if not first_delivery(self.db, event, "notifications.handle_placed_on_roster"):
            return
        _message, events = domain.placed_on_roster(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "suspended")
    def handle_suspended(self, payload: dict) -> None:
        event = Suspended.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_suspended"):
            return
        _message, events = domain.suspended(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "reinstated")
    def handle_reinstated(self, payload: dict) -> None:
        event = Reinstated.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_reinstated"):
            return
        _message, events = domain.reinstated(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "extension_decided")
    def handle_extension_decided(self, payload: dict) -> None:
        event = ExtensionDecided.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_extension_decided"):
            return
        _message, events = domain.extension_decided(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "removed")
    def handle_removed(self, payload: dict) -> None:
        event = Removed.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_removed"):
            return
        _message, events = domain.removed(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "group_advanced")
    def handle_group_advanced(self, payload: dict) -> None:
        event = GroupAdvanced.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_group_advanced"):
            return
        _message, events = domain.group_advanced(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "status_changed")
    def handle_status_changed(self, payload: dict) -> None:
        event = StatusChanged.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_status_changed"):
            return
        _message, events = domain.status_changed(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("rosters", "deadline_approaching")
    def handle_deadline_approaching(self, payload: dict) -> None:
        event = DeadlineApproaching.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_deadline_approaching"):
            return
        _message, events = domain.deadline_approaching(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    # --- documents.document_*: reviews and expiry, each a message (also e-mailed) ---------------

    @event_handler("documents", "document_reviewed")
    def handle_document_reviewed(self, payload: dict) -> None:
        event = DocumentReviewed.model_validate(payload)
        if event.imported:  # history from the legacy import is not news (issue 11)
            return
        if not first_delivery(self.db, event, "notifications.handle_document_reviewed"):
            return
        _message, events = domain.document_reviewed(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("documents", "document_expired")
    def handle_document_expired(self, payload: dict) -> None:
        event = DocumentExpired.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_document_expired"):
            return
        _message, events = domain.document_expired(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    # --- documents.case_*: Contact Us cases --------------------------------------------------

    @event_handler("documents", "case_opened")
    def handle_case_opened(self, payload: dict) -> None:
        event = CaseOpened.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_case_opened"):
            return
        _sent, events = domain.case_opened(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("documents", "case_replied")
    def handle_case_replied(self, payload: dict) -> None:
        event = CaseReplied.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_case_replied"):
            return
        _sent, events = domain.case_replied(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    # --- training.*: enrollments, seats, completions and lapses, each a message (also e-mailed) ---

    @event_handler("training", "enrolled")
    def handle_enrolled(self, payload: dict) -> None:
        event = Enrolled.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_enrolled"):
            return
        _message, events = domain.training_enrolled(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("training", "promoted_from_waitlist")
    def handle_promoted_from_waitlist(self, payload: dict) -> None:
        event = PromotedFromWaitlist.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_promoted_from_waitlist"):
            return
        _message, events = domain.training_promoted(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("training", "course_completed")
    def handle_course_completed(self, payload: dict) -> None:
        event = CourseCompleted.model_validate(payload)
        if event.imported:  # history from the legacy import is not news (issue 11)
            return
        if not first_delivery(self.db, event, "notifications.handle_course_completed"):
            return
        _message, events = domain.training_completed(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    @event_handler("training", "completion_expired")
    def handle_completion_expired(self, payload: dict) -> None:
        event = CompletionExpired.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_completion_expired"):
            return
        _message, events = domain.training_completion_expired(self.db, event, self._public_url())
        for new_event in events:
            self.publish(new_event)
        self.db.commit()

    # --- bulletins, hotlines and resources ---------------------------------------------------
    # Public reads (the gateway shows them to anyone); staff writes, each audited. A bulletin's
    # audience hears of it once in the Message Center (notifications.bulletins.deliver).

    resources = ResourcesProvider()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_bulletins(self, include_withdrawn: bool = False) -> dict:
        return bulletins.list_bulletins(self.db, bool(include_withdrawn)).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_bulletin(self, bulletin_id: str) -> dict:
        return bulletins.get_bulletin(self.db, parse_id(bulletin_id, "bulletin")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def publish_bulletin(self, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        bulletin_in = validated(BulletinIn, payload)
        bulletin, events = bulletins.publish(self.db, bulletin_in, self._public_url())
        audit.record(self.db, actor, "bulletin.published", "bulletin", bulletin.id,
                     title=bulletin.title, audience=bulletin.audience.model_dump(), told=len(events))
        for new_event in events:
            self.publish(new_event)
        self.db.commit()
        return bulletin.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_bulletin(self, bulletin_id: str, payload: dict, actor: dict) -> dict:
        _require_staff(actor)
        patch = validated(BulletinPatch, payload)
        bulletin, events = bulletins.update(self.db, parse_id(bulletin_id, "bulletin"), patch,
                                            self._public_url())
        audit.record(self.db, actor, "bulletin.updated", "bulletin", bulletin.id,
                     fields=sorted(patch.model_fields_set), told=len(events))
        for new_event in events:
            self.publish(new_event)
        self.db.commit()
        return bulletin.model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def withdraw_bulletin(self, bulletin_id: str, actor: dict) -> dict:
        _require_staff(actor)
        bulletin, _events = bulletins.withdraw(self.db, parse_id(bulletin_id, "bulletin"))
        audit.record(self.db, actor, "bulletin.withdrawn", "bulletin", bulletin.id)
        self.db.commit()
        return bulletin.model_dump(mode="json")

    @timer(interval=BULLETIN_TICK_SECONDS, eager=False)
    def deliver_bulletins(self) -> None:
        """Tell the rest of each bulletin's audience, a batch a transaction, for up to
        BULLETIN_BUDGET_SECONDS a tick (notifications.bulletins.deliver_next_batch)."""
        started = time.monotonic()
        while time.monotonic() - started < BULLETIN_BUDGET_SECONDS:
            events = bulletins.deliver_next_batch(self.db, self._public_url())
            if events is None:
                self.db.rollback()
                return
            for new_event in events:
                self.publish(new_event)
            self.db.commit()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_resources(self) -> dict:
        return self.resources.model_dump(mode="json")

    @event_handler("rosters", "application_started")
    def handle_application_started(self, payload: dict) -> None:
        event = ApplicationStarted.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_application_started"):
            return
        _member, events = bulletins.record_applicant(self.db, event)
        for new_event in events:
            self.publish(new_event)
        self.db.commit()
