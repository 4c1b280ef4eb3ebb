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

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not event.has_account or not first_delivery(self.db, event, "notifications.handle_person_registered"):
            return
        _, created = domain.welcome(self.db, event, self._public_url())
        self.publish(created)
        self.db.commit()

    @event_handler("accounts", "invitation_sent")
    def handle_invitation_sent(self, payload: dict) -> None:
        event = InvitationSent.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_invitation_sent"):
            return
        domain.invitation(self.db, event, domain.first_name_of(self.db, event.person_id))
        self.db.commit()

    @event_handler("accounts", "password_reset_requested")
    def handle_password_reset_requested(self, payload: dict) -> None:
        event = PasswordResetRequested.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_password_reset_requested"):
            return
        domain.password_reset(self.db, event, domain.first_name_of(self.db, event.person_id))
        self.db.commit()

    @event_handler("accounts", "account_claimed")
    def handle_account_claimed(self, payload: dict) -> None:
        event = AccountClaimed.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_account_claimed"):
            return
        _, created = domain.account_ready(self.db, event.person_id, self._public_url())
        self.publish(created)
        self.db.commit()

    @event_handler("accounts", "contact_details_changed")
    def handle_contact_details_changed(self, payload: dict) -> None:
        event = ContactDetailsChanged.model_validate(payload)
        if not first_delivery(self.db, event, "notifications.handle_contact_details_changed"):
            return
        domain.record_contact(self.db, event)
        self.db.commit()

    # --- roster news: a message, also e-mailed -------------------------------------------------

    def _roster_news(self, event, consumer: str, compose) -> None:
        if not first_delivery(self.db, event, f"notifications.{consumer}"):
            return
        _, created = compose(self.db, event)
        self.publish(created)
        self.db.commit()

    @event_handler("rosters", "placed_on_roster")
    def handle_placed_on_roster(self, payload: dict) -> None:
        self._roster_news(PlacedOnRoster.model_validate(payload), "handle_placed_on_roster",
                          domain.placed_on_roster)

    @event_handler("rosters", "suspended")
    def handle_suspended(self, payload: dict) -> None:
        self._roster_news(Suspended.model_validate(payload), "handle_suspended", domain.suspended)

    @event_handler("rosters", "reinstated")
    def handle_reinstated(self, payload: dict) -> None:
        self._roster_news(Reinstated.model_validate(payload), "handle_reinstated", domain.reinstated)

    @event_handler("rosters", "group_advanced")
    def handle_group_advanced(self, payload: dict) -> None:
        self._roster_news(GroupAdvanced.model_validate(payload), "handle_group_advanced",
                          domain.group_advanced)

    @event_handler("rosters", "deadline_approaching")
    def handle_deadline_approaching(self, payload: dict) -> None:
        self._roster_news(DeadlineApproaching.model_validate(payload), "handle_deadline_approaching",
                          domain.deadline_approaching)
