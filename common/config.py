"""Configuration from the environment, with the same names everywhere (SPEC §7).

Services also receive these through their nameko config.yml; helpers here accept that mapping
first so that a test can hand a container its own database URL or broker vhost.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

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


# --- TLS to RabbitMQ ---------------------------------------------------------------------------
# `AMQP_URI=amqps://...` turns TLS on; the broker's certificate is always verified, against
# HUB_AMQP_CA_FILE (a private CA) or else the system's trusted roots. HUB_AMQP_CERT_FILE and
# HUB_AMQP_KEY_FILE add a client certificate for brokers that ask for one.

def amqp_ssl(config: Mapping | None = None) -> dict | None:
    """kombu/py-amqp `ssl` options for the configured broker, or None for plain amqp://.

    A nameko config that already carries `AMQP_SSL` wins. The dict is new on every call because
    kombu writes the server host name into it when it connects."""
    if config is not None and config.get("AMQP_SSL"):
        return dict(config["AMQP_SSL"])
    if not amqp_uri(config).lower().startswith("amqps://"):
        return None
    import ssl

    options = {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": None}  # None: the URI's host
    ca_file = setting("HUB_AMQP_CA_FILE", None, config)
    if ca_file:
        options["ca_certs"] = ca_file
    cert_file = setting("HUB_AMQP_CERT_FILE", None, config)
    if cert_file:
        options["certfile"] = cert_file
        options["keyfile"] = setting("HUB_AMQP_KEY_FILE", None, config)
    for name in ("ca_certs", "certfile", "keyfile"):
        if options.get(name) and not Path(options[name]).is_file():
            raise ValueError(f"{name} file {options[name]!r} (HUB_AMQP_*_FILE) does not exist")
    return options


def nameko_config(config: Mapping | None = None) -> dict:
    """The broker part of a nameko config: AMQP_URI, plus AMQP_SSL when the URI is amqps://."""
    result = {"AMQP_URI": amqp_uri(config)}
    ssl_options = amqp_ssl(config)
    if ssl_options:
        result["AMQP_SSL"] = ssl_options
    return result


def public_url(config: Mapping | None = None) -> str:
    """Where people reach the Hub, for links in e-mails: `HUB_PUBLIC_URL`, else the gateway's own
    `HUB_HOST`/`HUB_PORT` (so a Hub moved to port 9090 does not mail links to 8080)."""
    explicit = setting("HUB_PUBLIC_URL", None, config)
    if explicit:
        return explicit.rstrip("/")
    host = setting("HUB_HOST", "127.0.0.1", config)
    if host in ("0.0.0.0", "::"):  # listening everywhere: this machine is the best guess
        host = "127.0.0.1"
    return f"http://{host}:{setting('HUB_PORT', '8080', config)}"
