"""Make sure RabbitMQ answers at AMQP_URI, starting the local server if it is installed."""
from __future__ import annotations

import shutil
import subprocess
import time
from urllib.parse import urlparse

from common.topology import broker_reachable as reachable

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


class BrokerUnavailable(SystemExit):
    pass


def ensure_broker(amqp_uri: str, wait_seconds: float = 90) -> str:
    """Returns what it did ("running" or "started"); raises BrokerUnavailable with advice."""
    if reachable(amqp_uri):
        return "running"
    host = urlparse(amqp_uri.replace("pyamqp://", "amqp://")).hostname or ""
    server = shutil.which("rabbitmq-server") or (
        "/usr/sbin/rabbitmq-server" if shutil.os.path.exists("/usr/sbin/rabbitmq-server") else None)
    if host not in LOCAL_HOSTS or server is None:
        raise BrokerUnavailable(
            f"RabbitMQ is not reachable at {amqp_uri}.\n"
            "Install it (Debian/Ubuntu: sudo apt-get install rabbitmq-server), or point AMQP_URI "
            "at a running broker, e.g. AMQP_URI=pyamqp://guest:guest@rabbit-host:5672//")
    print(f"RabbitMQ is not running: starting {server} -detached")
    subprocess.run([server, "-detached"], check=False)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if reachable(amqp_uri):
            return "started"
        time.sleep(1)
    raise BrokerUnavailable(f"Started RabbitMQ but it did not answer at {amqp_uri} within "
                            f"{wait_seconds:.0f}s. See /var/log/rabbitmq/ for why.")
