"""The production-shaped deployment: docker-compose.yml, deploy/ and the wheel the image installs.

No Docker engine runs here, so these check what can be checked without one: docker-compose parses
and validates the file, the resolved stack has the right shape, the entrypoint picks the right
command, and the package the Dockerfile installs carries its migrations and templates.
"""
import importlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from common.config import SERVICES
from tests.support.waiting import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HUB = (*SERVICES, "gateway")
SPEC_SETTINGS = {
    "HUB_PORT", "HUB_DATA_DIR", "AMQP_URI", "HUB_S3_ENDPOINT", "HUB_S3_ACCESS_KEY",
    "HUB_S3_SECRET_KEY", "HUB_S3_BUCKET", "HUB_SMTP_HOST", "HUB_SMTP_PORT", "HUB_MAIL_FROM",
    "HUB_ADMIN_EMAIL", "HUB_ADMIN_PASSWORD", "HUB_PAYROLL_API_KEY", "HUB_SECRET_KEY", "HUB_SSN_KEY",
    *(f"{service.upper()}_DB_URL" for service in SERVICES),
}


def docker_compose(*args, env_file):
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is required (Debian package docker-compose)"
    # An empty --env-file keeps a developer's own .env out of the result.
    return subprocess.run([binary, "--env-file", str(env_file), "-f", "docker-compose.yml", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def empty_env_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("")
    return path


@pytest.fixture(scope="module")
def stack(empty_env_file):
    result = docker_compose("config", env_file=empty_env_file)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def env_example() -> dict:
    pairs = (line.split("=", 1) for line in (DEPLOY / "env.example").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {name.strip(): value for name, value in pairs}


# --- docker-compose.yml ------------------------------------------------------------------------

def test_compose_file_validates_with_docker_compose(empty_env_file):
    result = docker_compose("config", "-q", env_file=empty_env_file)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr


def test_stack_has_the_six_hub_processes_and_their_infrastructure(stack):
    assert set(HUB) | {"rabbitmq", "broker-init", "postgres", "minio", "minio-init", "redis", "mailpit"} <= set(stack)


def test_every_hub_process_runs_the_one_image_with_its_name_as_the_command(stack):
    for name in HUB:
        assert stack[name]["build"]["dockerfile"] == "deploy/Dockerfile", name
        assert stack[name]["command"] == [name], name
        assert stack[name]["environment"]["AMQP_URI"] == env_example()["AMQP_URI"], name


def test_every_hub_process_has_its_own_healthcheck(stack):
    for name in HUB:
        assert stack[name]["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py", name]


def test_every_hub_process_waits_for_a_healthy_broker(stack):
    for name in HUB:
        assert stack[name]["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}, name


def test_every_service_waits_for_a_healthy_postgres(stack):
    for name in SERVICES:
        assert stack[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name


def test_documents_waits_for_healthy_minio_and_its_bucket(stack):
    depends = stack["documents"]["depends_on"]
    assert depends["minio"] == {"condition": "service_healthy"}
    assert depends["minio-init"] == {"condition": "service_completed_successfully"}


def test_infrastructure_reports_its_health(stack):
    for name in ("rabbitmq", "postgres", "minio", "redis"):
        assert stack[name]["healthcheck"]["test"], name
    assert "rabbitmq-diagnostics" in stack["rabbitmq"]["healthcheck"]["test"]
    assert "pg_isready" in str(stack["postgres"]["healthcheck"]["test"])


def test_documents_can_scale_because_no_service_has_fixed_ports_names_or_writable_volumes(stack):
    for name in SERVICES:
        for key in ("ports", "container_name", "hostname"):
            assert key not in stack[name], f"{name} has {key}, so `--scale {name}=3` would clash"
        # only the broker's CA certificate, read-only: replicas share it without clashing
        assert stack[name]["volumes"] == ["broker-ca:/etc/hub-ca:ro"], name


# --- TLS to RabbitMQ and one broker user per process ---------------------------------------------

def test_rabbitmq_speaks_tls_only_with_the_certificates_and_users_broker_init_writes(stack):
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    settings = dict(line.split("=", 1) for line in conf.splitlines() if "=" in line and not line.startswith("#"))
    settings = {k.strip(): v.strip() for k, v in settings.items()}
    assert settings["listeners.tcp"] == "none"
    assert settings["listeners.ssl.default"] == "5671"
    assert settings["ssl_options.cacertfile"] == "/etc/hub-broker/ca.pem"
    assert settings["load_definitions"] == "/etc/hub-broker/definitions.json"
    rabbit = stack["rabbitmq"]
    assert f"{DEPLOY / 'rabbitmq' / 'rabbitmq.conf'}:/etc/rabbitmq/conf.d/20-hub.conf:ro" in rabbit["volumes"]
    assert "broker-tls:/etc/hub-broker:ro" in rabbit["volumes"]
    assert rabbit["depends_on"]["broker-init"] == {"condition": "service_completed_successfully"}
    init = stack["broker-init"]
    assert init["command"] == ["broker-init"] and init["restart"] == "no"
    assert init["environment"]["HUB_BROKER_DIR"] == "/etc/hub-broker"
    assert init["environment"]["HUB_BROKER_CA_DIR"] == "/etc/hub-ca"
    assert set(init["volumes"]) == {"broker-tls:/etc/hub-broker:rw", "broker-ca:/etc/hub-ca:rw"}


def test_every_hub_process_connects_with_tls_as_its_own_broker_user(stack):
    env = env_example()
    for name in HUB:
        uri = env[f"{name.upper()}_AMQP_URI"]
        assert uri.startswith(f"amqps://{name}:change-me-") and uri.endswith("@rabbitmq:5671//"), name
        assert stack[name]["environment"]["HUB_AMQP_CA_FILE"] == "/etc/hub-ca/ca.pem"
    assert env["AMQP_URI"].startswith(f"amqps://{env['RABBITMQ_DEFAULT_USER']}:")
    assert env["HUB_TIMEZONE"] == "America/Los_Angeles"


def test_broker_init_accepts_the_example_configuration(tmp_path):
    env = {**os.environ, **env_example(), "HUB_BROKER_CA_DIR": str(tmp_path / "ca")}
    result = subprocess.run([sys.executable, "-m", "hubstack.broker_users", "init", str(tmp_path / "broker")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ca" / "ca.pem").read_bytes() == (tmp_path / "broker" / "ca.pem").read_bytes()
    assert not (tmp_path / "ca" / "ca.key").exists() and not (tmp_path / "ca" / "server.key").exists()


def test_only_the_gateway_publishes_a_port_and_it_is_8080(stack):
    assert [(p["published"], p["target"]) for p in stack["gateway"]["ports"]] == [(8080, 8080)]
    assert [name for name, service in stack.items() if service.get("ports")] == ["gateway"]


def test_postgres_creates_one_database_per_service_owned_by_hub(stack):
    # docker-compose 1.29 prints short syntax: SOURCE:TARGET:MODE
    assert f"{DEPLOY / 'postgres' / 'init.sql'}:/docker-entrypoint-initdb.d/init.sql:ro" in stack["postgres"]["volumes"]
    created = re.findall(r"^CREATE DATABASE (\w+) OWNER hub;$", (DEPLOY / "postgres" / "init.sql").read_text(), re.M)
    assert sorted(created) == sorted(SERVICES)
    for service in SERVICES:
        assert env_example()[f"{service.upper()}_DB_URL"].endswith(f"@postgres:5432/{service}")


# --- deploy/env.example ------------------------------------------------------------------------

def settings_the_code_reads() -> set[str]:
    names = set(SPEC_SETTINGS)
    for path in ROOT.glob("services/*/config.yml"):
        names |= set(re.findall(r"\$\{([A-Z0-9_]+)", path.read_text()))
    sources = [ROOT / "common", ROOT / "gateway" / "gateway", ROOT / "services"]
    for path in (p for folder in sources for p in folder.rglob("*.py")):
        names |= set(re.findall(r"""setting\(\s*["']([A-Z0-9_]+)["']""", path.read_text()))
    return names


def test_every_setting_the_code_reads_is_in_env_example():
    names = settings_the_code_reads()
    assert {"ACCOUNTS_DB_URL", "HUB_S3_REGION", "HUB_SECRET_KEY"} <= names  # the grep still finds them
    assert sorted(names - set(env_example())) == []


def test_env_example_holds_placeholders_not_secrets():
    secrets = {name: value for name, value in env_example().items()
               if re.search(r"PASSWORD|SECRET|_PASS$|_API_KEY$|HUB_SSN_KEY", name)}
    assert len(secrets) >= 8
    assert {name for name, value in secrets.items() if "change-me" not in value} == set()


def test_credentials_shared_between_containers_agree():
    env = env_example()
    assert f"{env['RABBITMQ_DEFAULT_USER']}:{env['RABBITMQ_DEFAULT_PASS']}@rabbitmq:" in env["AMQP_URI"]
    assert f"{env['RABBITMQ_DEFAULT_USER']}:" not in "".join(env[f"{n.upper()}_AMQP_URI"] for n in HUB)
    for service in SERVICES:
        assert f"//{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:" in env[f"{service.upper()}_DB_URL"]
    assert (env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]) == (env["HUB_S3_ACCESS_KEY"], env["HUB_S3_SECRET_KEY"])
    assert env["HUB_S3_ENDPOINT"] == "http://minio:9000"
    assert env["POSTGRES_USER"] == "hub"  # init.sql names the owner


# --- deploy/entrypoint.sh ----------------------------------------------------------------------

def run_entrypoint(tmp_path, *args):
    """Runs entrypoint.sh with a PATH holding only fake `nameko` and `python` that print argv."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir(exist_ok=True)
    for program in ("nameko", "python"):
        fake = fake_bin / program
        fake.write_text(f'#!/bin/sh\necho "{program} $* HUB_HOST=$HUB_HOST HUB_PORT=$HUB_PORT '
                        f'EVENTLET_TESTS=$EVENTLET_TESTS"\n')
        fake.chmod(0o755)
    env = {"PATH": str(fake_bin)}
    return subprocess.run([shutil.which("bash"), str(DEPLOY / "entrypoint.sh"), *args], env=env,
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("args", [("nonsense",), ("",), (), ("documents", "extra")])
def test_entrypoint_rejects_an_unknown_role_with_exit_code_2(tmp_path, args):
    result = run_entrypoint(tmp_path, *args)
    assert result.returncode == 2
    assert "usage" in result.stderr
    assert result.stdout == ""  # neither fake program ran


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoint_runs_each_service_with_nameko_and_its_config(tmp_path, service):
    result = run_entrypoint(tmp_path, service)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    class_name = f"{service.capitalize()}Service"
    # hubstack.launch checks the settings, then runs nameko with this config and class
    assert words[:6] == ["python", "-m", "hubstack.launch", service, "--config",
                         f"/app/services/{service}/config.yml"]
    assert "EVENTLET_TESTS=1" in words
    # The config the Dockerfile copies to /app exists, and the class really is there.
    assert (ROOT / "services" / service / "config.yml").is_file()
    assert getattr(importlib.import_module(f"{service}.service"), class_name).name == service


def test_entrypoint_serves_the_gateway_on_all_interfaces(tmp_path):
    result = run_entrypoint(tmp_path, "gateway")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python", "-m", "hubstack.launch", "gateway", "HUB_HOST=0.0.0.0",
                                     "HUB_PORT=8080", "EVENTLET_TESTS=1"]


def test_entrypoint_runs_broker_init(tmp_path):
    result = run_entrypoint(tmp_path, "broker-init")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:5] == ["python", "-m", "hubstack.broker_users", "init", "/etc/hub-broker"]


def test_dockerfile_runs_the_entrypoint_as_a_non_root_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert re.search(r"^RUN pip install \.", dockerfile, re.M)  # not -e, not [test]
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)


# --- deploy/healthcheck.py ---------------------------------------------------------------------

def run_healthcheck(role, **env):
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py"), role],
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_gateway_healthcheck_passes_only_on_a_200_from_healthz(tmp_path):
    # http.server answers 200 for an existing file and 404 otherwise: a stand-in gateway.
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(tmp_path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 30, "http.server", server)
        assert run_healthcheck("gateway", HUB_PORT=str(port)).returncode == 1
        (tmp_path / "healthz").write_text("{}")
        assert run_healthcheck("gateway", HUB_PORT=str(port)).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert run_healthcheck("gateway", HUB_PORT=str(port)).returncode == 1  # nothing listening


@pytest.mark.broker
def test_service_healthcheck_asks_the_running_service_over_rpc(container_factory, service_config):
    from rosters.service import RostersService

    container_factory(RostersService, service_config).start()
    assert run_healthcheck("rosters", AMQP_URI=service_config["AMQP_URI"]).returncode == 0
    missing = run_healthcheck("training", AMQP_URI=service_config["AMQP_URI"])
    assert missing.returncode == 1, missing.stderr
    assert run_healthcheck("nonsense", AMQP_URI=service_config["AMQP_URI"]).returncode == 2


# --- the wheel the image installs --------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Built from exactly what the Dockerfile copies, in a clean folder (no stale build/)."""
    source = tmp_path_factory.mktemp("image-src")
    copies = re.findall(r"^COPY (?!--from)(.+) (?!/)\S+$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert copies, "the Dockerfile copies no sources into its build folder"
    for path in (p.rstrip("/") for line in copies for p in line.split()):
        if (ROOT / path).is_dir():
            shutil.copytree(ROOT / path, source / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / path, source / path)
    out = tmp_path_factory.mktemp("wheel")
    # Build isolation: the venv's own setuptools is older than pyproject's requirement.
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."],
                            cwd=source, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    [built] = out.glob("industry_hub-*.whl")
    return built


def package_files(package_dir: Path, package: str, sub: str) -> set[str]:
    return {f"{package}/{p.relative_to(package_dir).as_posix()}"
            for p in (package_dir / sub).rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_wheel_carries_every_service_migration_and_the_gateway_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = package_files(ROOT / "gateway" / "gateway", "gateway", "templates")
    expected |= package_files(ROOT / "gateway" / "gateway", "gateway", "static")
    for service in SERVICES:
        migrations = package_files(ROOT / "services" / service / service, service, "migrations")
        assert {f"{service}/migrations/env.py", f"{service}/migrations/script.py.mako"} <= migrations
        assert any("/versions/" in name for name in migrations)
        expected |= migrations
    assert sorted(expected - names) == []


def test_installed_wheel_migrates_every_service_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                             str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    script = (
        "import sys, sqlalchemy as sa, gateway\n"
        "from common.config import SERVICES\n"
        "from common.migrations import upgrade_to_head\n"
        f"site = {str(target)!r}\n"
        "assert gateway.__file__.startswith(site), gateway.__file__\n"
        "for service in SERVICES:\n"
        "    assert __import__(service).__file__.startswith(site), service\n"
        "    url = f'sqlite:///{service}.db'\n"
        "    upgrade_to_head(service, url)\n"
        "    assert 'alembic_version' in sa.inspect(sa.create_engine(url)).get_table_names()\n"
        "print('migrated', len(SERVICES))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(target), "EVENTLET_TESTS": "1"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"migrated {len(SERVICES)}"
