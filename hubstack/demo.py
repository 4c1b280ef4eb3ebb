"""Demo data for `make run`: loaded through the same RPCs the pages use, safe to run again."""
from __future__ import annotations

from nameko.standalone.rpc import ClusterRpcProxy

from common.errors import Conflict

DEMO_PEOPLE = [
    {"email": "john.doe@example.com", "password": "demo-password-1", "first_name": "John",
     "last_name": "Doe", "date_of_birth": "1988-04-12", "ssn": "123-45-6789"},
]


def load_demo_data(amqp_uri: str) -> list[dict]:
    """Returns the demo logins to print."""
    logins = []
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=30) as rpc:
        for person in DEMO_PEOPLE:
            try:
                rpc.accounts.create_account(person)
            except Conflict:
                pass  # loaded on an earlier run
            logins.append({"role": "Industry Professional", "email": person["email"],
                           "password": person["password"]})
    return logins
