from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from pydantic import ValidationError

from accounts import domain
from accounts.models import Base
from accounts.schemas import CreateAccountIn, CreatedAccountOut, LogInIn, SessionOut
from common.db import Database
from common.errors import EXPECTED_ERRORS, parse_id, validation_failed_from
from common.events.notifications import EmailFailed
from common.health import health_report
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import EventPublisher


class AccountsService:
    """Owns people, portal accounts and sessions. Publishes accounts.* events."""
    name = "accounts"
    db = Database(Base)
    publish = EventPublisher()
    config = Config()

    @rpc
    def health(self) -> dict:
        return health_report(self.name, self.db)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_account(self, payload: dict) -> dict:
        try:
            data = CreateAccountIn.model_validate(payload)
        except ValidationError as exc:
            raise validation_failed_from(exc) from None
        person, events = domain.create_account(self.db, data, self.config)
        for event in events:
            self.publish(event)
        self.db.commit()
        return CreatedAccountOut(person_id=person.id, il_number=person.il_number).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def log_in(self, payload: dict) -> dict:
        try:
            data = LogInIn.model_validate(payload)
        except ValidationError as exc:
            raise validation_failed_from(exc) from None
        token, expires = domain.log_in(self.db, data)
        self.db.commit()
        return SessionOut(token=token, expires_at=expires).model_dump(mode="json")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def authenticate(self, token: str) -> dict:
        return domain.principal_for_token(self.db, token).model_dump(mode="json")

    @rpc
    def log_out(self, token: str) -> None:
        domain.log_out(self.db, token)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_me(self, person_id: str) -> dict:
        return domain.me(self.db, parse_id(person_id, "person"), self.config).model_dump(mode="json")

    @event_handler("notifications", "email_failed")
    def handle_email_failed(self, payload: dict) -> None:
        event = EmailFailed.model_validate(payload)
        if not first_delivery(self.db, event, "accounts.handle_email_failed"):
            return
        domain.mark_email_undeliverable(self.db, event.person_id)
        self.db.commit()
