"""HUB_MIGRATE_ON_START: a service migrates its database when it starts unless told not to (on
Kubernetes the migrations Job does it once per release; deploy/k8s)."""
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from training.models import Base

from common.db import Database, migrate_on_start


def started_database(tmp_path, **settings) -> tuple[Database, str]:
    url = f"sqlite:///{tmp_path / 'training.db'}"
    database = Database(Base)
    database.container = SimpleNamespace(service_name="training",
                                         config={"TRAINING_DB_URL": url, **settings})
    database.setup()
    database.stop()
    return database, url


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_service_migrates_its_database_at_start_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("HUB_MIGRATE_ON_START", raising=False)
    _, url = started_database(tmp_path)
    assert {"alembic_version", "outbox"} <= tables(url)


def test_zero_leaves_the_database_alone(tmp_path, monkeypatch):
    monkeypatch.delenv("HUB_MIGRATE_ON_START", raising=False)
    _, url = started_database(tmp_path, HUB_MIGRATE_ON_START="0")
    assert tables(url) == set()


def test_the_environment_is_read_when_the_config_does_not_say(tmp_path, monkeypatch):
    # config.yml does not map it: the containers set it in the environment (deploy/k8s)
    monkeypatch.setenv("HUB_MIGRATE_ON_START", "0")
    _, url = started_database(tmp_path)
    assert tables(url) == set()


@pytest.mark.parametrize("value, migrates", [(None, True), ("", True), ("1", True), ("0", False)])
def test_only_zero_turns_it_off(monkeypatch, value, migrates):
    monkeypatch.delenv("HUB_MIGRATE_ON_START", raising=False)
    config = {} if value is None else {"HUB_MIGRATE_ON_START": value}
    assert migrate_on_start(config) is migrates
