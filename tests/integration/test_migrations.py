"""`alembic upgrade head` on an empty database builds exactly what the models describe."""
import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from common.config import SERVICES
from common.migrations import upgrade_to_head

pytestmark = pytest.mark.postgres


def drift(url: str, service: str) -> list:
    metadata = importlib.import_module(f"{service}.models").Base.metadata
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    return differences


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_postgresql(service, postgres_url):
    url = postgres_url()
    upgrade_to_head(service, url)
    assert drift(url, service) == []


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models_on_sqlite(service, tmp_path):
    url = f"sqlite:///{tmp_path / (service + '.db')}"
    upgrade_to_head(service, url)
    assert drift(url, service) == []


def test_running_migrations_twice_changes_nothing(postgres_url):
    url = postgres_url()
    upgrade_to_head("accounts", url)
    upgrade_to_head("accounts", url)
    assert drift(url, "accounts") == []


@pytest.mark.parametrize("service", SERVICES)
def test_postgresql_itself_refuses_to_change_the_audit_log(service, postgres_url):
    url = postgres_url()
    upgrade_to_head(service, url)
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO audit_log (at, actor_roles, action, target_type, details) "
            "VALUES (now(), 'system', 'thing.done', 'thing', '{}')"))
    for statement in ("UPDATE audit_log SET action = 'thing.undone'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with engine.begin() as connection:
                connection.execute(sa.text(statement))
    engine.dispose()
