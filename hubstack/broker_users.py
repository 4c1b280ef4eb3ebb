"""One RabbitMQ user per Hub process, allowed only what that process uses.

    python -m hubstack.broker_users                 # print the definitions (no passwords)
    python -m hubstack.broker_users --write         # update deploy/rabbitmq/definitions.json
    python -m hubstack.broker_users init OUT_DIR    # compose's broker-init: certificates, and the
                                                    # definitions with password hashes

The permissions are derived from common.topology (which queues each service consumes from and
publishes to) and nameko's own names: the RPC exchange `nameko-rpc`, a service's request queue
`rpc-<service>`, reply queues `rpc.reply-<caller>-<uuid>`, event exchanges `<service>.events`.
RabbitMQ checks `configure` to declare, `write` to publish to an exchange or bind a queue, and
`read` to consume a queue or bind from an exchange; `amq.default` is the default exchange, which
the reliable handlers use to move a failed event to its retry or parked queue.

`init` reads the passwords from the URIs the processes themselves use (`<ROLE>_AMQP_URI`, e.g.
ROSTERS_AMQP_URI=amqps://rosters:...@rabbitmq:5671/) and the operator account from
RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS (RabbitMQ skips its default user when definitions
are loaded at boot). Only salted SHA-256 hashes are written, as RabbitMQ stores them.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from common.config import SERVICES
from common.topology import consumed_by, exchanges_of, published_to

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "deploy" / "rabbitmq" / "definitions.json"
USERS = (*SERVICES, "gateway")
RPC_EXCHANGE = "nameko-rpc"
HASHING = "rabbit_password_hashing_sha256"


def _any_of(names: list[str], patterns: list[str] = ()) -> str:
    alternatives = sorted(set(name.replace(".", r"\.") for name in names)) + list(patterns)
    return "^(" + "|".join(alternatives) + ")$"


def permissions(user: str) -> dict[str, str]:
    """configure / write / read regexes for one user."""
    reply = [rf"rpc\.reply-{re.escape(user)}-.*"]  # its own reply queues (calls, health checks)
    if user == "gateway":
        everything = _any_of([RPC_EXCHANGE], reply)
        return {"configure": everything, "write": everything, "read": everything}
    consumed = [name for sub in consumed_by(user)
                for name in (sub.queue_name, sub.retry_queue_name, sub.parked_queue_name)]
    # the main queue of each subscription to its events: declared and bound so none is dropped
    fed = [sub.queue_name for sub in published_to(user) if sub.consumer != user]
    exchanges = [f"{source}.events" for source in exchanges_of(user)]
    own_rpc = [RPC_EXCHANGE, f"rpc-{user}"]
    own_events = [f"{user}.events"] if f"{user}.events" in exchanges else []
    return {
        "configure": _any_of([*own_rpc, *exchanges, *consumed, *fed], reply),
        # publish: RPC replies, its own events, retries through the default exchange;
        # bind: its request queue, the queues it consumes and the queues it feeds
        "write": _any_of([*own_rpc, *own_events, "amq.default", *consumed, *fed], reply),
        # consume its own queues (not parked: that is the operator's), bind from the exchanges
        "read": _any_of([*own_rpc, *exchanges, *(n for n in consumed if not n.endswith(".parked"))], reply),
    }


def definitions(vhost: str = "/", prefix: str = "") -> dict:
    """RabbitMQ definitions for every Hub user, without passwords. `prefix` renames the users
    (tests load them into a shared broker)."""
    return {
        "vhosts": [{"name": vhost}],
        "users": [{"name": prefix + user, "tags": []} for user in USERS],
        "permissions": [{"user": prefix + user, "vhost": vhost, **permissions(user)} for user in USERS],
    }


def render(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def with_passwords(data: dict, passwords: dict[str, str], admin: tuple[str, str] | None = None) -> dict:
    """The definitions with each user's password hash (and an administrator, if given)."""
    data = json.loads(json.dumps(data))
    for user in data["users"]:
        if user["name"] not in passwords:
            raise ValueError(f"no password for broker user {user['name']}")
        user.update(password_hash=password_hash(passwords[user["name"]]), hashing_algorithm=HASHING)
    if admin:
        name, password = admin
        data["users"].append({"name": name, "tags": ["administrator"], "hashing_algorithm": HASHING,
                              "password_hash": password_hash(password)})
        for vhost in data["vhosts"]:
            data["permissions"].append({"user": name, "vhost": vhost["name"], "configure": ".*",
                                        "write": ".*", "read": ".*"})
    return data


def passwords_from_environment(environ=os.environ) -> dict[str, str]:
    """Each user's password, from the URI its process uses (`<ROLE>_AMQP_URI`)."""
    found = {}
    for user in USERS:
        name = f"{user.upper()}_AMQP_URI"
        uri = urlparse(environ.get(name, ""))
        if not uri.password or unquote(uri.username or "") != user:
            raise ValueError(f"{name} must be amqps://{user}:<password>@<broker>/ (found {uri.geturl()!r})")
        found[user] = unquote(uri.password)
    return found


def init(out_dir: Path, environ=os.environ) -> None:
    """compose's one-shot broker-init: certificates (kept if present) and the definitions."""
    from hubstack.certs import ensure_certificates

    hosts = environ.get("HUB_AMQP_TLS_HOSTS", "rabbitmq,localhost").split(",")
    created = ensure_certificates(out_dir, [h.strip() for h in hosts if h.strip()])
    admin = (environ.get("RABBITMQ_DEFAULT_USER", ""), environ.get("RABBITMQ_DEFAULT_PASS", ""))
    if not all(admin):
        raise ValueError("RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS are required")
    # generated, not read from deploy/ (absent from the image); a test keeps the two equal
    data = with_passwords(definitions(), passwords_from_environment(environ), admin)
    target = out_dir / "definitions.json"
    target.touch(mode=0o600)
    target.chmod(0o600)
    target.write_text(render(data))
    # RabbitMQ runs as its own user (uid 999 in the official image) and must read its key and
    # the definitions; the CA's key stays root's. Clients get only the CA certificate.
    uid = int(environ.get("RABBITMQ_UID", "999"))
    if os.geteuid() == 0:
        for name in ("ca.pem", "server.pem", "server.key", "definitions.json"):
            os.chown(out_dir / name, uid, uid)
    ca_dir = environ.get("HUB_BROKER_CA_DIR")
    if ca_dir:
        Path(ca_dir).mkdir(parents=True, exist_ok=True)
        (Path(ca_dir) / "ca.pem").write_bytes((out_dir / "ca.pem").read_bytes())
        (Path(ca_dir) / "ca.pem").chmod(0o644)
    print(f"broker-init: {'created' if created else 'kept'} certificates; wrote {len(data['users'])} "
          f"users to {target}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hubstack.broker_users")
    parser.add_argument("--write", action="store_true", help=f"update {COMMITTED.relative_to(ROOT)}")
    sub = parser.add_subparsers(dest="command")
    setup = sub.add_parser("init")
    setup.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "init":
        try:
            init(args.out_dir)
        except ValueError as exc:
            print(f"broker-init: {exc}", file=sys.stderr)
            return 2
        return 0
    text = render(definitions())
    if args.write:
        COMMITTED.parent.mkdir(parents=True, exist_ok=True)
        COMMITTED.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
