"""The extension circumstances and removal reasons (rosters/casework.yml), read once."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).with_name("casework.yml")


@lru_cache(maxsize=1)
def data() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def circumstances() -> dict[str, str]:
    return dict(data()["circumstances"])


def removal_reasons() -> dict[str, str]:
    return dict(data()["removal_reasons"])


def protest_days(config=None) -> int:
    value = (config or {}).get("HUB_PROTEST_DAYS") if hasattr(config or {}, "get") else None
    return int(value) if value not in (None, "") else int(data()["protest_days"])


def max_extension_days() -> int:
    return int(data()["max_extension_days"])
