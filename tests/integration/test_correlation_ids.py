"""One correlation id from a gateway request, through an RPC, into the event it causes and the
handler that consumes it, on a real broker."""
import json
import logging

import pytest
from accounts.service import AccountsService
from gateway.rpc import RpcPool
from notifications.service import NotificationsService

from common import logs
from common.logs import JsonFormatter
from tests.support.factories import make_person
from tests.support.waiting import wait_until

pytestmark = pytest.mark.broker


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter("test"))
        self.lines: list[dict] = []

    def emit(self, record):
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    # nameko's container logs "calling handler for <worker>" from inside each worker
    logger = logging.getLogger("nameko.containers")
    handler, level = Lines(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def worker_lines(lines, entrypoint: str) -> list[dict]:
    return [line for line in lines if line["message"].startswith("calling handler for")
            and f"[{entrypoint}]" in line["message"]]


def test_a_request_id_reaches_the_rpc_the_event_and_its_handler(container_factory, service_config, log_lines):
    container_factory(AccountsService, service_config).start()
    container_factory(NotificationsService, service_config).start()
    pool = RpcPool(service_config["AMQP_URI"], size=1, timeout=15)
    token = logs.bind("req-abc-123")  # as the gateway does for a request
    try:
        pool.call("accounts", "create_account", make_person())
    finally:
        logs.unbind(token)
        pool.close()
    handled = wait_until(lambda: worker_lines(log_lines, "notifications.handle_person_registered"),
                         timeout=20, message="the welcome handler to run")
    assert [line["correlation_id"] for line in worker_lines(log_lines, "accounts.create_account")] == ["req-abc-123"]
    assert {line["correlation_id"] for line in handled} == {"req-abc-123"}
