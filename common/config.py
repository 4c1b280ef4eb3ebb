"""Configuration from the environment, with the same names everywhere (SPEC §7).

Services also receive these through their nameko config.yml; helpers here accept that mapping
first so that a test can hand a container its own database URL or broker vhost.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

SERVICES = ("accounts", "rosters", "documents", "training", "notifications")

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672//"


def setting(name: str, default: str | None = None, config: Mapping | None = None) -> str | None:
    """A setting from the nameko/Flask config mapping if present, else the environment."""
    if config is not None and config.get(name) not in (None, ""):
        return str(config[name])
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def data_dir(config: Mapping | None = None) -> Path:
    path = Path(setting("HUB_DATA_DIR", "./var", config)).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uri(config: Mapping | None = None) -> str:
    return setting("AMQP_URI", DEFAULT_AMQP_URI, config)


def db_url(service: str, config: Mapping | None = None) -> str:
    """`<SERVICE>_DB_URL`, or the embedded default: one SQLite file per service."""
    explicit = setting(f"{service.upper()}_DB_URL", None, config)
    if explicit:
        return explicit
    return f"sqlite:///{data_dir(config) / (service + '.db')}"


def s3_settings(config: Mapping | None = None) -> dict | None:
    """The S3 connection if `HUB_S3_ENDPOINT` is set; None means the local-folder store."""
    endpoint = setting("HUB_S3_ENDPOINT", None, config)
    if not endpoint:
        return None
    return {
        "endpoint": endpoint,
        "access_key": setting("HUB_S3_ACCESS_KEY", "", config),
        "secret_key": setting("HUB_S3_SECRET_KEY", "", config),
        "bucket": setting("HUB_S3_BUCKET", "industry-hub", config),
        "region": setting("HUB_S3_REGION", "us-east-1", config),
    }


def smtp_settings(config: Mapping | None = None) -> dict | None:
    """The SMTP relay if `HUB_SMTP_HOST` is set; None means e-mails are written as .eml files."""
    host = setting("HUB_SMTP_HOST", None, config)
    if not host:
        return None
    return {
        "host": host,
        "port": int(setting("HUB_SMTP_PORT", "25", config)),
        "mail_from": setting("HUB_MAIL_FROM", "Contract Services <no-reply@thehub.local>", config),
    }


def mail_from(config: Mapping | None = None) -> str:
    return setting("HUB_MAIL_FROM", "Contract Services <no-reply@thehub.local>", config)
