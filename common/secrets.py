"""Secrets a process cannot run safely without, checked when it starts.

A missing key stops the start with a message naming the variable. The development defaults
(well known, so worthless in production) are used only where they were asked for explicitly:
`make run` and the test fixtures set HUB_DEV_DEFAULTS=1.
"""
from __future__ import annotations

from collections.abc import Mapping

from nameko.extensions import DependencyProvider

from common import config as hub_config

DEV_DEFAULTS_SETTING = "HUB_DEV_DEFAULTS"
DEV_DEFAULTS = {
    "HUB_SECRET_KEY": "dev-only-secret-key-change-me",
    "HUB_SSN_KEY": "dev-only-ssn-key-change-me",
}


class MissingSecret(RuntimeError):
    pass


def dev_defaults_allowed(config: Mapping | None = None) -> bool:
    return hub_config.setting(DEV_DEFAULTS_SETTING, "0", config) == "1"


def secret(name: str, config: Mapping | None = None) -> str:
    """The value of secret setting `name`; its development default only if allowed."""
    value = hub_config.setting(name, None, config)
    if value:
        return value
    if dev_defaults_allowed(config):
        return DEV_DEFAULTS[name]
    raise MissingSecret(
        f"{name} is not set. Set it to a long random value, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` (and keep it: it cannot "
        f"change without migrating what it protects), or set {DEV_DEFAULTS_SETTING}=1 to use the "
        "development default, as `make run` does.")


class RequiredSecrets(DependencyProvider):
    """Declared on a service: the container refuses to start without these secrets."""

    def __init__(self, *names: str):
        self.names = names

    def setup(self):
        for name in self.names:
            secret(name, self.container.config)

    def get_dependency(self, worker_ctx):
        return None
