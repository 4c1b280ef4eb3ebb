"""The extension circumstances and removal reasons (rosters/casework.yml), read once."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from common import config as hub_config

DATA = Path(__file__).with_name("casework.yml")


@lru_cache(maxsize=1)
def data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def circumstances() -> dict[str, str]:
    return dict(data()["circumstances"])


def removal_reasons() -> dict[str, str]:
    return dict(data()["removal_reasons"])


def protest_days(config=None) -> int:
    # the nameko config (config.yml maps the variable) or, outside a service, the environment
    value = hub_config.setting("HUB_PROTEST_DAYS", None, config if hasattr(config, "get") else None)
    return int(value) if value not in (None, "") else int(data()["protest_days"])


def max_extension_days() -> int:
    return int(data()["max_extension_days"])
