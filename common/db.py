"""SQLAlchemy 2.x for nameko: one Base per service, one session per worker.

Every service database also holds two messaging tables, made by `make_base()`:
- `outbox`: events written in the same transaction as the change they describe, relayed to
  RabbitMQ afterwards (common.publisher), so a crash between commit and publish loses nothing;
- `processed_events`: the event ids each handler has applied (common.idempotency), so an event
  delivered twice changes the database once.
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from common import config as hub_config


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite would hand back naive ones)."""
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(timezone.utc)")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def make_base():
    """A declarative Base for one service, carrying that service's messaging tables."""

    class Base(DeclarativeBase):
        pass

    class OutboxMessage(Base):
        __tablename__ = "outbox"
        id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
        event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
        exchange_source: Mapped[str] = mapped_column(sa.String(40))
        event_type: Mapped[str] = mapped_column(sa.String(80))
        payload: Mapped[str] = mapped_column(sa.Text)
        created_at: Mapped[datetime] = mapped_column(UTCDateTime)
        # null until the broker confirmed it; "unrouted" rows were confirmed with no queue bound
        sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
        outcome: Mapped[str | None] = mapped_column(sa.String(20))
        attempts: Mapped[int] = mapped_column(sa.Integer, default=0)

    class ProcessedEvent(Base):
        __tablename__ = "processed_events"
        event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
        consumer: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
        processed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    class AuditEntry(Base):
        """Who did what to which record, when, and on whose behalf. Append-only (common.audit)."""
        __tablename__ = "audit_log"
        id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
        at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
        actor_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
        actor_roles: Mapped[str] = mapped_column(sa.String(200))
        on_behalf_of: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
        action: Mapped[str] = mapped_column(sa.String(80), index=True)
        target_type: Mapped[str] = mapped_column(sa.String(40))
        target_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
        details: Mapped[str] = mapped_column(sa.Text, default="{}")
        client_ip: Mapped[str | None] = mapped_column(sa.String(45))

    Base.OutboxMessage = OutboxMessage
    Base.ProcessedEvent = ProcessedEvent
    Base.AuditEntry = AuditEntry
    return Base


def create_engine_for(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        # One connection per process: under eventlet, SQLite's busy-wait blocks the whole OS
        # thread, so two green workers contending for the write lock could deadlock. With a
        # single pooled connection they queue (green) for it instead.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=0,
                                  pool_timeout=60)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets readers (the outbox relay, RPC reads) run beside one writer.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_session_factory(engine: sa.Engine, base) -> sessionmaker:
    from common.audit import refuse_changes_to_audit_rows

    factory = sessionmaker(engine, expire_on_commit=False, info={"base": base})
    sa.event.listen(factory, "before_flush", refuse_changes_to_audit_rows)
    return factory


def base_of(session: Session):
    """The service Base a session belongs to (set by make_session_factory)."""
    return session.info["base"]


def migrate_on_start(config=None) -> bool:
    """HUB_MIGRATE_ON_START: "0" leaves migrating to `python -m hubstack.migrate upgrade`."""
    return hub_config.setting("HUB_MIGRATE_ON_START", "1", config) != "0"


class Database(DependencyProvider):
    """Gives each worker its own session on this service's database, closed on teardown.

    The database is migrated to the newest alembic revision when the service starts, unless
    HUB_MIGRATE_ON_START=0: on Kubernetes one Job migrates per release (deploy/k8s) instead of
    every replica at its start.
    """

    def __init__(self, base, migrate: bool = True):
        self.base = base
        self.migrate = migrate
        self.sessions: dict = {}

    def setup(self):
        service = self.container.service_name
        self.url = hub_config.db_url(service, self.container.config)
        if self.url.startswith("postgresql"):
            # psycopg2 blocks the whole eventlet hub unless its waits are made green.
            from psycogreen.eventlet import patch_psycopg
            patch_psycopg()
        if self.migrate and migrate_on_start(self.container.config):
            from common.migrations import upgrade_to_head
            upgrade_to_head(service, self.url)
        self.engine = create_engine_for(self.url)
        self.session_factory = make_session_factory(self.engine, self.base)

    def stop(self):
        self.engine.dispose()

    def session_for(self, worker_ctx) -> Session:
        session = self.sessions.get(worker_ctx)
        if session is None:
            session = self.sessions[worker_ctx] = self.session_factory()
        return session

    def get_dependency(self, worker_ctx) -> Session:
        return self.session_for(worker_ctx)

    def worker_teardown(self, worker_ctx):
        session = self.sessions.pop(worker_ctx, None)
        if session is not None:
            session.close()
