"""The tables every service has (outbox, processed_events, audit_log), created in migrations
through these functions instead of each service repeating the same column lists.

Migrations must replay the same way forever, so each function here is frozen once released:
never edit a `*_v1`. To change one of these tables, add a new function (e.g.
`add_outbox_redaction_v2(op)`) and call it from a new migration in every service.
"""
from __future__ import annotations

import sqlalchemy as sa


def create_outbox_v1(op) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("exchange_source", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)


def drop_outbox_v1(op) -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))
    op.drop_table("outbox")


def create_processed_events_v1(op) -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("consumer", sa.String(length=120), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "consumer"),
    )


def drop_processed_events_v1(op) -> None:
    op.drop_table("processed_events")


AUDIT_INDEXES = ("action", "actor_account_id", "at", "target_id")


def create_audit_log_v1(op) -> None:
    """The append-only audit log: PostgreSQL itself refuses UPDATE and DELETE on it (the ORM
    guard in common.audit covers SQLite)."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("actor_roles", sa.String(length=200), nullable=False),
        sa.Column("on_behalf_of", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=40), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("client_ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for column in AUDIT_INDEXES:
            batch_op.create_index(batch_op.f(f"ix_audit_log_{column}"), [column], unique=False)
    make_audit_log_append_only(op)


def drop_audit_log_v1(op) -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for column in reversed(AUDIT_INDEXES):
            batch_op.drop_index(batch_op.f(f"ix_audit_log_{column}"))
    op.drop_table("audit_log")


def make_audit_log_append_only(op) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION hub_audit_log_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END;
        $$ LANGUAGE plpgsql""")
    op.execute("""
        CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION hub_audit_log_append_only()""")
