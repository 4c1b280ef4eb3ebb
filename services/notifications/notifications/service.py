from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from common import config as hub_config
from common import audit
from common.db import Database
from common.errors import EXPECTED_ERRORS, parse_id
from common.events.accounts import (AccountClaimed, ContactDetailsChanged, InvitationSent,
                                    PasswordResetRequested, PersonRegistered)
from common.events.rosters import DeadlineApproaching, GroupAdvanced, PlacedOnRoster, Reinstated, Suspended
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import EventPublisher
from notifications import domain
from notifications.models import Base
from notifications.sender import MailSender


class NotificationsService(StandardRpcs):
    """Owns the Message Center and outgoing e-mail. Publishes notifications.* events."""
    name = "notifications"
    db = Database(Base)
    publish = EventPublisher()
    config = Config()
    mail = MailSender()

    def _public_url(self) -> str:
        return hub_config.setting("HUB_PUBLIC_URL", "http://127.0.0.1:8080", self.config).rstrip("/")


    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_messages(self, person_id: str) -> dict:
        return domain.list_messages(self.db, parse_id(person_id, "person")).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mark_message_read(self, person_id: str, message_id: str, actor: dict | None = None) -> None:
        domain.mark_read(self.db, parse_id(person_id, "person"), parse_id(message_id, "message"))
        audit.record(self.db, actor, "message.read", "message", message_id, person_id=person_id)
        self.db.commit()

    def _once(self, event, consumer: str, work) -> None:
        """Apply `work(session, event)` once per event. Work that posts a message returns what
        domain.post_message returns, (message, message_created), and the event is published."""
        if not first_delivery(self.db, event, f"notifications.{consumer}"):
            return
        posted = work(self.db, event)
        if posted is not None:
            self.publish(posted[1])
        self.db.commit()

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if event.has_account:  # a migrated record is welcomed when it is claimed instead
            self._once(event, "handle_person_registered",
                       lambda db, e: domain.welcome(db, e, self._public_url()))

    @event_handler("accounts", "invitation_sent")
    def handle_invitation_sent(self, payload: dict) -> None:
        self._once(InvitationSent.model_validate(payload), "handle_invitation_sent",
                   lambda db, e: domain.invitation(db, e, domain.first_name_of(db, e.person_id)))

    @event_handler("accounts", "password_reset_requested")
    def handle_password_reset_requested(self, payload: dict) -> None:
        self._once(PasswordResetRequested.model_validate(payload), "handle_password_reset_requested",
                   lambda db, e: domain.password_reset(db, e, domain.first_name_of(db, e.person_id)))

    @event_handler("accounts", "account_claimed")
    def handle_account_claimed(self, payload: dict) -> None:
        self._once(AccountClaimed.model_validate(payload), "handle_account_claimed",
                   lambda db, e: domain.account_ready(db, e.person_id, self._public_url()))

    @event_handler("accounts", "contact_details_changed")
    def handle_contact_details_changed(self, payload: dict) -> None:
        self._once(ContactDetailsChanged.model_validate(payload), "handle_contact_details_changed",
                   domain.record_contact)

    # --- roster news: a message, also e-mailed -------------------------------------------------

    @event_handler("rosters", "placed_on_roster")
    def handle_placed_on_roster(self, payload: dict) -> None:
        self._once(PlacedOnRoster.model_validate(payload), "handle_placed_on_roster",
                          domain.placed_on_roster)

    @event_handler("rosters", "suspended")
    def handle_suspended(self, payload: dict) -> None:
        self._once(Suspended.model_validate(payload), "handle_suspended", domain.suspended)

    @event_handler("rosters", "reinstated")
    def handle_reinstated(self, payload: dict) -> None:
        self._once(Reinstated.model_validate(payload), "handle_reinstated", domain.reinstated)

    @event_handler("rosters", "group_advanced")
    def handle_group_advanced(self, payload: dict) -> None:
        self._once(GroupAdvanced.model_validate(payload), "handle_group_advanced",
                          domain.group_advanced)

    @event_handler("rosters", "deadline_approaching")
    def handle_deadline_approaching(self, payload: dict) -> None:
        self._once(DeadlineApproaching.model_validate(payload), "handle_deadline_approaching",
                          domain.deadline_approaching)
