"""`make run`: the whole Hub in the foreground. Ctrl-C stops everything it started.

A process that dies is restarted, as a supervisor would (hubstack.stack: at most 5 restarts in
60 s, then the Hub stops and says which process kept failing).
"""
from __future__ import annotations

import signal
import sys
import time

from common import clock
from common import config as hub_config
from common.migrations import upgrade_to_head
from hubstack.broker import ensure_broker
from hubstack.demo import load_demo_data
from hubstack.stack import GaveUp, Stack

DEV_SECRETS = {
    "HUB_SECRET_KEY": "dev-only-secret-key-change-me",
    "HUB_SSN_KEY": "dev-only-ssn-key-change-me",
    "HUB_ADMIN_EMAIL": "admin@example.com",
    "HUB_ADMIN_PASSWORD": "demo-admin-password",
    "HUB_PAYROLL_API_KEY": "hubpk_dev-only-payroll-key-change-me",
}


# Set only in the processes `make run` starts: the development-default secrets above (and any
# other development-only default a service offers) are opt-in, never on in a deployment.
DEV_ENV = {"HUB_DEV_DEFAULTS": "1"}


def start_mailbox(stack: Stack) -> str:
    """Starts the documents mailbox (documents.inbound_mail) unless its port is taken (8025 is
    also the web port of common mail catchers); says where it listens."""
    import socket

    host = hub_config.setting("HUB_INBOUND_SMTP_HOST", "127.0.0.1")
    port = int(hub_config.setting("HUB_INBOUND_SMTP_PORT", "8025"))
    with socket.socket() as probe:
        if probe.connect_ex((host, port)) == 0:
            return (f"Documents mailbox NOT started: {host}:{port} is in use "
                    "(set HUB_INBOUND_SMTP_PORT to another port)")
    stack.start_inbound_mail()
    address = hub_config.setting("HUB_DOCUMENTS_MAILBOX", "documents@csatf.org")
    return f"Documents mailbox: send mail for {address} to smtp://{host}:{port}"


def main() -> int:
    try:
        clock.hub_timezone()  # a bad HUB_TIMEZONE stops here, before anything starts
        hub_config.amqp_ssl()
    except ValueError as exc:
        print(f"The Hub cannot start: {exc}", file=sys.stderr)
        return 2
    amqp_uri = hub_config.amqp_uri()
    print(f"Broker: {ensure_broker(amqp_uri)} at {amqp_uri}")
    data_dir = hub_config.data_dir()
    for service in hub_config.SERVICES:
        upgrade_to_head(service, hub_config.db_url(service))
    configured_urls = any(hub_config.setting(s.upper() + "_DB_URL") for s in hub_config.SERVICES)
    print(f"Databases migrated ({data_dir if not configured_urls else 'configured URLs'})")

    env = {name: hub_config.setting(name, default) for name, default in DEV_SECRETS.items()}
    stack = Stack(env={**env, **DEV_ENV})
    stopping = False
    started = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True
        if not started:
            raise KeyboardInterrupt  # still starting: leave through the `finally` below

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        stack.wait_healthy(timeout=120)
        logins = load_demo_data(amqp_uri, env["HUB_ADMIN_EMAIL"], env["HUB_ADMIN_PASSWORD"])
        mailbox = start_mailbox(stack)
        print("\n" + "=" * 72)
        print(f"  The Industry Hub is running at {stack.url}")
        for login in logins:
            print(f"  {login['role']}: {login['email']} / {login['password']}")
        print(f"  Payroll API key: {env['HUB_PAYROLL_API_KEY']}")
        print(f"  {mailbox}")
        if not hub_config.smtp_settings():
            print(f"  E-mails are written to {data_dir / 'mail'} (set HUB_SMTP_HOST to send them)")
        for name, value in env.items():
            if value == DEV_SECRETS[name] and name != "HUB_ADMIN_EMAIL":
                print(f"  {name} is the development default; set it for anything real")
        print("  Press Ctrl-C to stop.")
        print("=" * 72 + "\n", flush=True)
        started = True
        while not stopping:
            stack.supervise_once()
            time.sleep(0.5)
    except GaveUp as exc:
        print(f"{exc}; stopping the Hub", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        print(f"The Hub could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        print("Stopping every process ...")
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
