"""Shared fixtures. Every server a test needs is real and started or reached here; if one is
missing the test fails with a message saying which (CI must never skip them)."""
import os

os.environ.setdefault("EVENTLET_TESTS", "1")  # only silences eventlet's import-time banner
# Tests opt into the development secrets (HUB_SSN_KEY, HUB_SECRET_KEY) explicitly, as make run
# does; without this a missing key stops a service or the gateway from starting (common.secrets).
os.environ.setdefault("HUB_DEV_DEFAULTS", "1")

import eventlet  # noqa: E402

# nameko's pytest plugin no longer monkey-patches; it has to happen before anything else imports
# socket or threading.
eventlet.monkey_patch()

import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from email import message_from_bytes  # noqa: E402
from email import policy as email_policy  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.support.waiting import free_port, random_suffix, wait_for_port, wait_until  # noqa: E402,F401

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL",
                                    "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


# --- PostgreSQL: a throwaway database per test -------------------------------------------------

@pytest.fixture(scope="session")
def postgres_admin():
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required at {POSTGRES_ADMIN_URL}: {exc}")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin):
    """Makes throwaway databases: postgres_url() → a URL of a new, empty database."""
    created = []

    def make() -> str:
        name = f"hub_test_{random_suffix(10)}"
        with postgres_admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    yield make
    with postgres_admin.connect() as connection:
        for name in created:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --- RabbitMQ: nameko's rabbit_config gives each test its own vhost ----------------------------

@pytest.fixture(scope="session", autouse=False)
def broker_available(request):
    from kombu import Connection

    uri = request.config.getoption("RABBIT_AMQP_URI")
    try:
        with Connection(uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        pytest.fail(f"RabbitMQ is required at {uri}: {exc}")
    return uri


@pytest.fixture
def service_config(rabbit_config, broker_available, tmp_path):
    """A nameko config for the services under test: throwaway vhost, own data dir, fast retries."""
    return {
        **rabbit_config,
        "HUB_DATA_DIR": str(tmp_path / "data"),
        "HUB_DEV_DEFAULTS": "1",
        "EVENT_MAX_ATTEMPTS": 3,
        "EVENT_RETRY_DELAY_MS": 50,
        "serializer": "json",
        "max_workers": 10,
    }


# --- S3: moto's server mode, a real S3 HTTP endpoint -------------------------------------------

@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if binary is None:
        pytest.fail("moto_server is required (pip install 'moto[server]')")
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "w")
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    wait_for_port(port, 30, "moto_server", process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)
    log.close()


# --- SMTP: a real SMTP server (aiosmtpd) in its own process ------------------------------------

class SmtpSink:
    """The mailbox of tests/support/smtp_sink.py: one .eml file per accepted message."""

    def __init__(self, port: int, folder: Path):
        self.port = port
        self.folder = folder

    def messages(self):
        return [message_from_bytes(path.read_bytes(), policy=email_policy.default)
                for path in sorted(self.folder.glob("*.eml"))]

    def messages_to(self, address: str):
        return [m for m in self.messages() if address.lower() in m["To"].lower()]

    def clear(self):
        for path in self.folder.glob("*.eml"):
            path.unlink()


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smtp")
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "support" / "smtp_sink.py"),
                                str(port), str(folder)])
    wait_for_port(port, 30, "the SMTP sink", process)
    yield SmtpSink(port, folder)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def smtp(smtp_sink):
    smtp_sink.clear()
    return smtp_sink


# --- The whole stack, started the way `make run` starts it -------------------------------------

ADMIN_EMAIL = "admin@e2e.example.com"
ADMIN_PASSWORD = "e2e-admin-password-1"
PAYROLL_KEY = "hubpk_e2e-payroll-key-0123456789"


class RunningHub:
    """The running stack: its URL, data folder, SMTP sink, broker URI and bootstrap logins."""

    admin_email, admin_password, payroll_key = ADMIN_EMAIL, ADMIN_PASSWORD, PAYROLL_KEY

    def __init__(self, stack, url: str, data_dir: Path, smtp: SmtpSink, amqp_uri: str):
        self.stack, self.url, self.data_dir, self.smtp, self.amqp_uri = stack, url, data_dir, smtp, amqp_uri

    def api(self, path: str) -> str:
        return f"{self.url}/api/v1{path}"


def throwaway_vhost(rabbit_manager, request, prefix: str) -> str:
    """A new RabbitMQ vhost for one Hub; returns its AMQP URI (delete the vhost afterwards)."""
    vhost = f"{prefix}_{random_suffix()}"
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, "guest", ".*", ".*", ".*")
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    return f"{broker.scheme}://{broker.netloc}/{vhost}"


def hub_test_environment(amqp_uri: str, data_dir: Path, smtp_port: int) -> dict[str, str]:
    """The settings a Hub under test runs with: its own vhost, data folder (SQLite files and local
    objects, whatever the developer's environment says), port, SMTP sink and bootstrap logins."""
    port = free_port()
    return {
        "AMQP_URI": amqp_uri,
        "HUB_DATA_DIR": str(data_dir),
        "HUB_PORT": str(port),
        "HUB_SMTP_HOST": "127.0.0.1",
        "HUB_SMTP_PORT": str(smtp_port),
        "HUB_SECRET_KEY": "e2e-secret-key",
        "HUB_SSN_KEY": "e2e-ssn-key",
        "HUB_ADMIN_EMAIL": ADMIN_EMAIL,
        "HUB_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "HUB_PAYROLL_API_KEY": PAYROLL_KEY,
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HUB_S3_ENDPOINT": "",
        # every test comes from 127.0.0.1; the limits themselves are tested in tests/unit
        "HUB_RATELIMIT_CREATE_ACCOUNT": "1000 per hour",
        "HUB_RATELIMIT_LOGIN": "1000 per minute",
        "HUB_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
        **{f"{service}_DB_URL": "" for service in ("ACCOUNTS", "ROSTERS", "DOCUMENTS", "TRAINING", "NOTIFICATIONS")},
    }


def start_test_hub(env: dict[str, str], log_dir: Path, smtp: SmtpSink) -> RunningHub:
    """Start the five services and the gateway with these settings; fail the test, with where the
    logs are, if they are not healthy in two minutes."""
    from hubstack.stack import Stack

    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(env=env, log_dir=log_dir, echo=False)
    stack.start()
    try:
        stack.wait_healthy(timeout=120)
    except Exception as exc:
        stack.stop()
        pytest.fail(f"the Hub did not start: {exc} (logs in {log_dir})")
    return RunningHub(stack, stack.url, Path(env["HUB_DATA_DIR"]), smtp, env["AMQP_URI"])


@pytest.fixture(scope="session")
def hub(rabbit_manager, broker_available, smtp_sink, tmp_path_factory, request):
    """Five services and the gateway as separate processes on a throwaway vhost, with SQLite
    files and local objects in a temporary HUB_DATA_DIR and e-mail going to the SMTP sink."""
    amqp_uri = throwaway_vhost(rabbit_manager, request, "hub_e2e")
    env = hub_test_environment(amqp_uri, tmp_path_factory.mktemp("hub-data"), smtp_sink.port)
    running = start_test_hub(env, ROOT / "test-artifacts" / "stack-logs", smtp_sink)
    yield running
    running.stack.stop()
    rabbit_manager.delete_vhost(urlparse(amqp_uri).path.lstrip("/"))
