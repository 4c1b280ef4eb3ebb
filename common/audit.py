"""The audit log: every write, and every staff read of an SSN or a document, in the same
transaction as what it records. Each service keeps its own append-only `audit_log` table; the
staff audit page merges them.

RPCs that write take an `actor` (who is asking, resolved by the gateway) so the entry names the
real person at the keyboard even when staff act on behalf of an Industry Professional.
"""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from common.db import base_of


class Actor(BaseModel):
    account_id: uuid.UUID | None = None   # None: the system itself (sweeps, imports, events)
    roles: list[str] = []
    on_behalf_of: uuid.UUID | None = None  # the person staff are helping, if any
    client_ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(roles=["system"])


def as_actor(value) -> Actor:
    if isinstance(value, Actor):
        return value
    return Actor.model_validate(value or {"roles": ["system"]})


def record(session: Session, actor, action: str, target_type: str, target_id=None, **details) -> None:
    actor = as_actor(actor)
    entry = base_of(session).AuditEntry(
        at=datetime.now(UTC), actor_account_id=actor.account_id,
        actor_roles=",".join(actor.roles), on_behalf_of=actor.on_behalf_of, action=action,
        target_type=target_type, target_id=str(target_id) if target_id is not None else None,
        details=json.dumps(details, default=str, sort_keys=True), client_ip=actor.client_ip)
    session.add(entry)


def list_entries(session: Session, service: str, *, actor_account_id=None, target_id=None,
                 action=None, limit: int = 100, before_id: int | None = None) -> list[dict]:
    entry = base_of(session).AuditEntry
    query = sa.select(entry).order_by(entry.at.desc(), entry.id.desc()).limit(min(limit, 500))
    if actor_account_id:
        query = query.where(entry.actor_account_id == uuid.UUID(str(actor_account_id)))
    if target_id:
        query = query.where(entry.target_id == str(target_id))
    if action:
        query = query.where(entry.action.startswith(action))
    if before_id:
        query = query.where(entry.id < before_id)
    return [{"service": service, "id": row.id, "at": row.at.isoformat(),
             "actor_account_id": str(row.actor_account_id) if row.actor_account_id else None,
             "actor_roles": row.actor_roles.split(",") if row.actor_roles else [],
             "on_behalf_of": str(row.on_behalf_of) if row.on_behalf_of else None,
             "action": row.action, "target_type": row.target_type, "target_id": row.target_id,
             "details": json.loads(row.details or "{}"), "client_ip": row.client_ip}
            for row in session.scalars(query)]


def refuse_changes_to_audit_rows(session: Session, flush_context, instances) -> None:
    """An ORM guard (registered in common.db) so code cannot edit or delete history; PostgreSQL
    also refuses it with a trigger installed by each service's migration."""
    for obj in list(session.dirty) + list(session.deleted):
        if type(obj).__tablename__ == "audit_log":
            raise PermissionError("the audit log is append-only")
