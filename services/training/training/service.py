from __future__ import annotations

from common.db import Database
from common.events.accounts import PersonRegistered
from common.health import StandardRpcs
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.projections import upsert_person
from common.publisher import EventPublisher
from training.models import Base, Learner


class TrainingService(StandardRpcs):
    """Owns courses, enrollments and completions. Publishes training.* events."""
    name = "training"
    db = Database(Base)
    publish = EventPublisher()


    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        event = PersonRegistered.model_validate(payload)
        if not first_delivery(self.db, event, "training.handle_person_registered"):
            return
        upsert_person(self.db, Learner, event)
        self.db.commit()
