"""Fixtures for the unit tests: the gateway over fake RPC (tests/support/fake_gateway.py), and
a rosters worker over an in-memory database."""
import pytest

from tests.support.fake_gateway import FakeRpc, make_app


@pytest.fixture
def fake_rpc():
    rpc = FakeRpc()
    yield rpc
    assert not rpc.unexpected, f"the gateway made RPC calls the test did not expect: {rpc.unexpected}"


@pytest.fixture
def app(fake_rpc):
    return make_app(fake_rpc)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def shipped_catalog_files():
    from rosters.catalog_loader import load_catalog_files

    return load_catalog_files()


@pytest.fixture
def rosters(shipped_catalog_files):
    """(service, session, published): the rosters service's entrypoints through nameko's
    worker_factory on a real in-memory database holding the shipped catalog; `published` collects
    the events they publish."""
    from nameko.testing.services import worker_factory
    from rosters.catalog_loader import sync_catalog_to_db
    from rosters.rulebook import CatalogCache
    from rosters.service import RostersService

    from tests.support.databases import memory_sessions

    with memory_sessions("rosters")() as session:
        sync_catalog_to_db(session, shipped_catalog_files)
        session.commit()
        published = []
        service = worker_factory(RostersService, db=session, publish=published.append, config={},
                                 rulebook=CatalogCache())
        yield service, session, published
