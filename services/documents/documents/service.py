from __future__ import annotations

from nameko.rpc import rpc

from common.db import Database
from common.events.accounts import PersonRegistered
from common.health import StandardRpcs, health_report
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.projections import upsert_person
from common.publisher import EventPublisher
from common.storage import ObjectStorage
from documents.models import Base, Owner


class DocumentsService(StandardRpcs):
    """Owns uploaded documents and their review. Publishes documents.* events.

    Replicas share nothing but the database and the bucket, so `--scale documents=3` simply
    adds competing consumers.
    """
    name = "documents"
    db = Database(Base)
    publish = EventPublisher()
    storage = ObjectStorage()

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
