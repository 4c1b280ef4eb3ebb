from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common import audit
from common import config as hub_config
from common.db import Database
from common.errors import EXPECTED_ERRORS, parse_id
from common.events.accounts import (
    AccountClaimed,
    ContactDetailsChanged,
    InvitationSent,
    PasswordResetRequested,
    PersonRegistered,
)
from common.events.documents import CaseOpened, CaseReplied, DocumentExpired, DocumentReviewed
from common.events.rosters import DeadlineApproaching, GroupAdvanced, PlacedOnRoster, Reinstated, Suspended
from common.events.training import CompletionExpired, CourseCompleted, Enrolled, PromotedFromWaitlist
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import EventPublisher
from notifications import domain
from notifications.models import Base
from notifications.sender import MailSender


class NotificationsService(StandardRpcs):
    """Owns the Message Center and outgoing e-mail. Publishes notifications.* events.

    Every handler reads the same way: parse the contract, skip an event already applied, let
    the domain decide, publish what it returns, commit (the events go out with the change)."""
    name = "notifications"
    db = Database(Base)
    publish = EventPublisher()
    config = Config()
    mail = MailSender()

    def _public_url(self) -> str:
        return hub_config.public_url(self.config)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_messages(self, person_id: str) -> dict:
        return domain.list_messages(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_message_read(self, person_id: str, message_id: str, actor: dict | None = None) -> None:
        domain.mark_read(self.db, parse_id(person_id, "person"), parse_id(message_id, "message"))
        audit.record(self.db, actor, "message.read", "message", message_id, person_id=person_id)
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

    @event_handler("rosters", "group_advanced")
    def handle_group_advanced(self, payload: dict) -> None:
        event = GroupAdvanced.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_group_advanced"):
            return
        _message, events = domain.group_advanced(self.db, event, self._public_url())
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
