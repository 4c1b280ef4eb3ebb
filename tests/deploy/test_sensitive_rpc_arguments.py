"""RPC arguments that carry an SSN, password, token, date of birth or contact details are marked
`sensitive_arguments`, so nameko's redaction (nameko.utils.get_redacted_args, used by tracers and
anything that records calls) never shows them."""
from __future__ import annotations

import importlib
import inspect

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc
from nameko.utils import get_redacted_args

from common.config import SERVICES

SECRET = "SECRET-VALUE"
PERSON_PAYLOAD = {key: SECRET for key in (
    "ssn", "password", "current_password", "new_password", "token", "date_of_birth", "email", "phone",
    "address_line1", "address_line2", "city", "state", "postal_code")}
# argument name → a value as the callers send it
CARRIERS = {
    "token": SECRET, "api_key": SECRET, "password": SECRET, "ssn": SECRET,
    "query": SECRET,                                   # staff look-ups accept an SSN
    "records": [{"ssn": SECRET, "last_name": "Doe"}],  # payroll batches
    "criteria": {"ssn": SECRET, "last_name": "Doe"},   # roster search
}


def rpc_entrypoints():
    for service in SERVICES:
        cls = getattr(importlib.import_module(f"{service}.service"), f"{service.capitalize()}Service")
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
                if isinstance(entrypoint, Rpc):
                    yield service, name, method, (cls, entrypoint)


def carried(service: str, parameter: str):
    if service == "accounts" and parameter == "payload":
        return dict(PERSON_PAYLOAD)  # every accounts payload is a person's details or credentials
    return CARRIERS.get(parameter)


CASES = [(service, name, method, entrypoint, parameter)
         for service, name, method, entrypoint in rpc_entrypoints()
         for parameter in list(inspect.signature(method).parameters)[1:]
         if carried(service, parameter) is not None]


def test_the_known_carriers_are_all_found():
    found = {(service, name, parameter) for service, name, _, _, parameter in CASES}
    assert {("accounts", "create_account", "payload"), ("accounts", "log_in", "payload"),
            ("accounts", "update_me", "payload"), ("accounts", "authenticate", "token"),
            ("rosters", "ingest_payroll", "records"), ("rosters", "search_roster", "criteria")} <= found


@pytest.mark.parametrize("service,name,method,entrypoint,parameter", CASES,
                         ids=[f"{c[0]}.{c[1]}({c[4]})" for c in CASES])
def test_sensitive_rpc_arguments_are_redacted(service, name, method, entrypoint, parameter):
    cls, unbound = entrypoint
    # bound to a stand-in container, as nameko binds it (a copy: the class's own stays unbound)
    container = type("Container", (), {"service_cls": cls, "shared_extensions": {}})()
    entrypoint = unbound.bind(container, name)  # holds the container weakly: keep it referenced
    parameters = list(inspect.signature(method).parameters)[1:]
    args = [carried(service, p) if p == parameter else None for p in parameters]
    redacted = get_redacted_args(entrypoint, *args)
    assert SECRET not in repr(redacted[parameter]), f"{service}.{name}: {parameter} is logged in clear"
