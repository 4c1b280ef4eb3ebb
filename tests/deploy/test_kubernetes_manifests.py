"""deploy/k8s: the Hub on Kubernetes, checked without a cluster.

Each overlay is rendered as `kubectl kustomize` would (tests/support/kustomize.py; compared with
kubectl itself where it is installed) and every object is validated against the Kubernetes 1.30
schemas (kubernetes-validate, strict: unknown fields fail); KEDA's objects, which are CRDs, against
a schema of their own here. Then what the objects must mean: one Deployment and ServiceAccount per
process, probes that ask what the process needs, resources, a PodDisruptionBudget each, no pod
that migrates while one Job per release does, Secrets holding only what each process reads, one
image everywhere, the gateway scaled on CPU and the services (optionally) on their queues.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from common.config import SERVICES
from common.topology import consumed_by
from hubstack import ready
from tests.support.kustomize import by_identity, load_documents, render

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES = "1.30.0"
OVERLAYS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "production": K8S / "overlays" / "production"}
NAMESPACES = {"base": "industry-hub", "dev": "industry-hub-dev", "production": "industry-hub"}
PROCESSES = (*SERVICES, "gateway", "inbound-mail")

# What each process's Secret holds: its own broker user and database, and the secrets its code
# reads (checked against the code below). The migrations Job gets the five database URLs.
S3_KEYS = {"HUB_S3_ACCESS_KEY", "HUB_S3_SECRET_KEY"}
SECRET_KEYS = {
    "accounts": {"ACCOUNTS_AMQP_URI", "ACCOUNTS_DB_URL", "HUB_SSN_KEY", "HUB_ADMIN_EMAIL", "HUB_ADMIN_PASSWORD",
                 "HUB_PAYROLL_API_KEY", *S3_KEYS},
    "rosters": {"ROSTERS_AMQP_URI", "ROSTERS_DB_URL", "HUB_SSN_KEY"},
    "documents": {"DOCUMENTS_AMQP_URI", "DOCUMENTS_DB_URL", *S3_KEYS},
    "training": {"TRAINING_AMQP_URI", "TRAINING_DB_URL"},
    "notifications": {"NOTIFICATIONS_AMQP_URI", "NOTIFICATIONS_DB_URL"},
    "gateway": {"GATEWAY_AMQP_URI", "HUB_SECRET_KEY", "HUB_RATELIMIT_STORAGE_URI", *S3_KEYS},
    "inbound-mail": {"DOCUMENTS_AMQP_URI", *S3_KEYS},
}
MIGRATE_KEYS = {f"{service.upper()}_DB_URL" for service in SERVICES}
SECRET_LOOKING = re.compile(r"_AMQP_URI$|_DB_URL$|PASSWORD|SECRET|_KEY$|STORAGE_URI|ADMIN_EMAIL")


@functools.cache
def rendered(overlay: str) -> tuple[dict, ...]:
    return tuple(render(OVERLAYS[overlay]))


def objects(overlay: str, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in rendered(overlay) if o["kind"] == kind}


def example_secrets() -> dict[str, dict]:
    docs = load_documents(K8S / "base" / "secrets.example.yaml")
    return {doc["metadata"]["name"]: doc for doc in docs}


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict) -> list[dict]:
    spec = pod_spec(workload)
    return spec.get("initContainers", []) + spec["containers"]


def main_container(deployment: dict) -> dict:
    [container] = [c for c in pod_spec(deployment)["containers"] if c["name"] == deployment["metadata"]["name"]]
    return container


def config_map(overlay: str) -> dict:
    [found] = objects(overlay, "ConfigMap").values()
    return found


def environment(overlay: str, container: dict) -> dict[str, str]:
    """What the container's process sees: the ConfigMap, its Secret's keys, then `env`."""
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(objects(overlay, "ConfigMap")[source["configMapRef"]["name"]]["data"])
        if "secretRef" in source:
            env.update(example_secrets()[source["secretRef"]["name"]]["stringData"])
    env.update({item["name"]: item["value"] for item in container.get("env", [])})
    return env


def quantity(value) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    match = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi)?", str(value))
    assert match, value
    return float(match[1]) * units.get(match[2], 1)


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector["matchLabels"].items())


# --- rendering and schemas ---------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay):
    checked = 0
    for obj in rendered(overlay):
        if obj["apiVersion"].startswith("keda.sh/"):
            continue  # CRDs: test_keda_objects_match_their_schema
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        checked += 1
    assert checked >= 25


def test_the_validator_refuses_what_kubernetes_would():
    # so that the test above can fail: an unknown field, a wrong type
    deployment = next(iter(objects("base", "Deployment").values()))
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["execute"] = {"command": ["true"]}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES, strict=True)


def test_the_secret_examples_validate_and_are_never_applied():
    for secret in example_secrets().values():
        kubernetes_validate.validate(secret, KUBERNETES, strict=True)
    for kustomization in K8S.rglob("kustomization.yaml"):
        listed = yaml.safe_load(kustomization.read_text()).get("resources", [])
        assert not [entry for entry in listed if "secrets.example" in entry], kustomization
    for overlay in OVERLAYS:
        assert objects(overlay, "Secret") == {}, "Secrets come from the operator, not from kustomize"


def test_the_secret_examples_hold_placeholders_only():
    for name, secret in example_secrets().items():
        for key, value in secret["stringData"].items():
            if SECRET_LOOKING.search(key) and key != "HUB_ADMIN_EMAIL":
                assert "change-me" in value, f"{name}.{key} looks like a real secret"


def test_the_renderer_agrees_with_kubectl_kustomize():
    # these machines carry kubectl (google-cloud-sdk); a machine without it fails here, never skips
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to check our kustomize renderer against the real one"
    for overlay, folder in OVERLAYS.items():
        result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        theirs = by_identity([doc for doc in yaml.safe_load_all(result.stdout) if doc])
        assert by_identity(list(rendered(overlay))) == theirs, overlay


# --- KEDA: CRDs, so a schema of our own for what these manifests use ---------------------------

STRING = {"type": "string"}
INTEGER = {"type": "integer", "minimum": 0}
METADATA = {"type": "object", "required": ["name", "namespace"], "additionalProperties": False,
            "properties": {"name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                           "namespace": STRING, "labels": {"type": "object", "additionalProperties": STRING}}}
RABBITMQ_TRIGGER = {
    "type": "object", "required": ["type", "metadata", "authenticationRef"], "additionalProperties": False,
    "properties": {
        "type": {"const": "rabbitmq"},
        "metadata": {"type": "object", "required": ["protocol", "mode", "queueName", "value"],
                     "additionalProperties": False,
                     "properties": {"protocol": {"const": "amqp"}, "mode": {"const": "QueueLength"},
                                    "queueName": STRING, "value": {"type": "string", "pattern": r"^[1-9][0-9]*$"}}},
        "authenticationRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                              "properties": {"name": STRING, "kind": {"const": "TriggerAuthentication"}}},
    },
}
KEDA_SCHEMAS = {
    "ScaledObject": {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"}, "kind": {"const": "ScaledObject"}, "metadata": METADATA,
            "spec": {
                "type": "object", "required": ["scaleTargetRef", "minReplicaCount", "maxReplicaCount", "triggers"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                                       "properties": {"apiVersion": {"const": "apps/v1"},
                                                      "kind": {"const": "Deployment"}, "name": STRING}},
                    "minReplicaCount": INTEGER, "maxReplicaCount": INTEGER, "pollingInterval": INTEGER,
                    "cooldownPeriod": INTEGER,
                    "fallback": {"type": "object", "required": ["failureThreshold", "replicas"],
                                 "additionalProperties": False,
                                 "properties": {"failureThreshold": INTEGER, "replicas": INTEGER}},
                    "advanced": {"type": "object", "additionalProperties": False, "properties": {
                        "horizontalPodAutoscalerConfig": {"type": "object", "additionalProperties": False,
                                                          "properties": {"behavior": {"type": "object"}}}}},
                    "triggers": {"type": "array", "minItems": 1, "items": RABBITMQ_TRIGGER},
                },
            },
        },
    },
    "TriggerAuthentication": {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"}, "kind": {"const": "TriggerAuthentication"},
            "metadata": METADATA,
            "spec": {"type": "object", "required": ["secretTargetRef"], "additionalProperties": False, "properties": {
                "secretTargetRef": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["parameter", "name", "key"], "additionalProperties": False,
                    "properties": {"parameter": {"enum": ["host", "tls", "ca", "cert", "key", "username", "password"]},
                                   "name": STRING, "key": STRING}}}}},
        },
    },
}


def keda(kind: str) -> dict[str, dict]:
    return objects("production", kind)


def test_keda_objects_match_their_schema():
    found = 0
    for kind, schema in KEDA_SCHEMAS.items():
        for obj in keda(kind).values():
            jsonschema.validate(obj, schema)
            found += 1
    assert found == 2 * len(SERVICES)
    for scaled in keda("ScaledObject").values():
        # the behavior KEDA hands to the HPA it makes must be a valid autoscaling/v2 behavior
        behavior = scaled["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "x"},
               "spec": {"scaleTargetRef": scaled["spec"]["scaleTargetRef"], "maxReplicas": 2, "behavior": behavior}}
        kubernetes_validate.validate(hpa, KUBERNETES, strict=True)


def test_the_keda_schema_refuses_a_mistake():
    scaled = yaml.safe_load(yaml.safe_dump(keda("ScaledObject")["accounts"]))
    scaled["spec"]["triggers"][0]["metadata"]["queueLength"] = "20"  # deprecated spelling
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, KEDA_SCHEMAS["ScaledObject"])


def test_each_service_scales_on_the_queues_it_consumes_and_its_rpc_queue():
    scaled = keda("ScaledObject")
    assert set(scaled) == set(SERVICES)
    for service in SERVICES:
        spec = scaled[service]["spec"]
        assert spec["scaleTargetRef"]["name"] == service
        assert spec["minReplicaCount"] >= 1, "never zero: the service must answer its RPC calls"
        assert spec["maxReplicaCount"] > spec["minReplicaCount"]
        queues = [trigger["metadata"]["queueName"] for trigger in spec["triggers"]]
        consumed = {sub.queue_name for sub in consumed_by(service)}  # common/topology.py
        assert len(queues) == len(set(queues))
        assert set(queues) == consumed | {f"rpc-{service}"}  # nameko's RPC queue (hubstack.broker_users)


def test_keda_reads_the_broker_as_the_service_itself_over_tls():
    auths = keda("TriggerAuthentication")
    secrets = example_secrets()
    for scaled in keda("ScaledObject").values():
        service = scaled["metadata"]["name"]
        refs = {trigger["authenticationRef"]["name"] for trigger in scaled["spec"]["triggers"]}
        assert refs == {f"{service}-broker"}
        refs = auths[f"{service}-broker"]["spec"]["secretTargetRef"]
        targets = {ref["parameter"]: (ref["name"], ref["key"]) for ref in refs}
        assert targets == {"host": (f"hub-{service}", f"{service.upper()}_AMQP_URI"),
                           "tls": ("hub-broker-ca", "tls"), "ca": ("hub-broker-ca", "ca.pem")}
        for name, key in targets.values():
            assert key in secrets[name]["stringData"], (name, key)
    assert secrets["hub-broker-ca"]["stringData"]["tls"] == "enable"


def test_keda_is_optional():
    for overlay in ("base", "dev"):
        assert not [o for o in rendered(overlay) if o["apiVersion"].startswith("keda.sh/")], overlay
        for service in SERVICES:
            assert objects(overlay, "Deployment")[service]["spec"]["replicas"] >= 1
    component = yaml.safe_load((K8S / "components" / "keda" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component"
    production = yaml.safe_load((OVERLAYS["production"] / "kustomization.yaml").read_text())
    assert production["components"] == ["../../components/keda"]


def test_an_autoscaled_deployment_leaves_its_replicas_to_the_autoscaler():
    for overlay in OVERLAYS:
        scaled = {o["spec"]["scaleTargetRef"]["name"] for o in objects(overlay, "ScaledObject").values()}
        hpas = [o["spec"]["scaleTargetRef"]["name"] for o in objects(overlay, "HorizontalPodAutoscaler").values()]
        assert not scaled & set(hpas), "a ScaledObject makes its own HPA; two would fight"
        for name in scaled | set(hpas):
            assert "replicas" not in objects(overlay, "Deployment")[name]["spec"], (overlay, name)


# --- one Deployment, ServiceAccount and PodDisruptionBudget per process ------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_deployment_per_process_each_with_its_own_service_account(overlay):
    deployments = objects(overlay, "Deployment")
    accounts = objects(overlay, "ServiceAccount")
    assert set(deployments) == set(PROCESSES)
    used = []
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        assert spec["serviceAccountName"] == name
        assert spec["automountServiceAccountToken"] is False  # no process talks to the API server
        assert accounts[name]["automountServiceAccountToken"] is False
        used.append(spec["serviceAccountName"])
    [job] = objects(overlay, "Job").values()
    used.append(pod_spec(job)["serviceAccountName"])
    assert len(used) == len(set(used)) == len(accounts)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget_selecting_only_its_pods(overlay):
    deployments = objects(overlay, "Deployment")
    budgets = objects(overlay, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"], labels)
        mine = [b for b in budgets.values() if selects(b["spec"]["selector"], labels)]
        assert len(mine) == 1, name
        others = [n for n, d in deployments.items() if n != name
                  and selects(mine[0]["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        assert others == [], f"the PDB of {name} also counts {others}"
        assert mine[0]["spec"]["maxUnavailable"] == 1  # a drain never blocks, even at one replica


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay):
    for workload in [*objects(overlay, "Deployment").values(), *objects(overlay, "Job").values()]:
        for container in containers(workload):
            resources = container["resources"]
            for resource in ("cpu", "memory"):
                request, limit = resources["requests"][resource], resources["limits"][resource]
                assert 0 < quantity(request) <= quantity(limit), (workload["metadata"]["name"], container["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_meets_the_restricted_pod_security_standard(overlay):
    [namespace] = objects(overlay, "Namespace").values()
    assert namespace["metadata"]["name"] == NAMESPACES[overlay]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in [*objects(overlay, "Deployment").values(), *objects(overlay, "Job").values()]:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's hub user
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in containers(workload):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["readOnlyRootFilesystem"] is True
            assert context["capabilities"] == {"drop": ["ALL"]}
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], "a writable /tmp on a read-only root"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_replicas_spread_over_zones_and_nodes(overlay):
    for name, deployment in objects(overlay, "Deployment").items():
        constraints = pod_spec(deployment)["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in constraints} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for constraint in constraints:
            assert constraint["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
            assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"  # a one-zone cluster still schedules


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lives_in_the_overlays_namespace(overlay):
    for obj in rendered(overlay):
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACES[overlay], (obj["kind"], obj["metadata"]["name"])


# --- probes that mean something ----------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_are_ready_when_their_database_and_broker_answer_and_alive_while_they_run(overlay):
    for service in SERVICES:
        container = main_container(objects(overlay, "Deployment")[service])
        assert container["args"] == [service]  # entrypoint.sh: hubstack.launch <service>
        readiness = container["readinessProbe"]["exec"]["command"]
        liveness = container["livenessProbe"]["exec"]["command"]
        assert readiness == ["python", "-m", "hubstack.ready", service]
        assert liveness == ["python", "-m", "hubstack.ready", service, "--live"]
        assert service in ready.ROLES
        # each probe has the time its checks take (two connections, each up to 5 s)
        assert container["readinessProbe"]["timeoutSeconds"] > 2 * ready.CHECK_TIMEOUT


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_is_ready_when_its_broker_answers_and_alive_while_it_serves(overlay):
    from tests.support.fake_gateway import FakeRpc, make_app

    gateway = objects(overlay, "Deployment")["gateway"]
    container = main_container(gateway)
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": int(environment(overlay, container)["HUB_PORT"])}
    readiness, liveness = container["readinessProbe"]["httpGet"], container["livenessProbe"]["httpGet"]
    assert readiness == {"path": "/readyz", "port": "http"}
    # liveness must not depend on the broker or the services: /healthz asks all of them
    assert liveness["port"] == "http" and liveness["path"] not in ("/healthz", "/readyz")
    rpc = FakeRpc()
    client = make_app(rpc).test_client()
    assert client.get(readiness["path"]).status_code == 200  # make_app's broker: memory://
    assert client.get(liveness["path"]).status_code == 200
    assert rpc.calls == []  # neither probe asks a service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_mailbox_is_ready_when_its_broker_answers_and_alive_while_it_listens(overlay):
    container = main_container(objects(overlay, "Deployment")["inbound-mail"])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"smtp": int(environment(overlay, container)["HUB_INBOUND_SMTP_PORT"])}
    assert container["readinessProbe"]["exec"]["command"] == ["python", "-m", "hubstack.ready", "inbound-mail"]
    assert container["livenessProbe"]["tcpSocket"] == {"port": "smtp"}
    assert environment(overlay, container)["HUB_INBOUND_SMTP_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_route_to_their_pods_named_ports(overlay):
    deployments = objects(overlay, "Deployment")
    services = objects(overlay, "Service")
    assert set(services) == {"gateway", "inbound-mail"}  # nameko services talk over the broker only
    for name, service in services.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
        named = {port["name"] for port in main_container(deployments[name])["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= named


# --- migrations: one Job per release, no Deployment --------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_deployment_migrates(overlay):
    for name, deployment in objects(overlay, "Deployment").items():
        for container in containers(deployment):
            assert "hubstack.migrate" not in " ".join(container.get("command", []) + container.get("args", []))
        if name in SERVICES:
            container = main_container(deployment)
            # set on the container itself, so no ConfigMap value can turn it back on
            assert {"name": "HUB_MIGRATE_ON_START", "value": "0"} in container["env"]
            assert environment(overlay, container)["HUB_MIGRATE_ON_START"] == "0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_service_pod_starts_only_once_the_job_has_migrated(overlay):
    for service in SERVICES:
        [init] = pod_spec(objects(overlay, "Deployment")[service])["initContainers"]
        command = init["command"]
        assert command[:5] == ["python", "-m", "hubstack.ready", service, "--wait-for-migrations"]
        assert float(command[5]) >= 300
        assert init["envFrom"] == main_container(objects(overlay, "Deployment")[service])["envFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_job_migrates_every_database_once_per_release(overlay):
    [job] = objects(overlay, "Job").values()
    [container] = pod_spec(job)["containers"]
    assert container["command"] == ["python", "-m", "hubstack.migrate", "upgrade"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    assert [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s] == ["hub-migrate"]
    assert set(example_secrets()["hub-migrate"]["stringData"]) == MIGRATE_KEYS
    # a Job cannot be changed once made: a release's Job is a new Job, named after its image tag
    tag = container["image"].rsplit(":", 1)[1]
    assert job["metadata"]["name"] == "hub-migrate-" + tag.replace(".", "-").lower()


def test_the_jobs_environment_is_enough_to_migrate(tmp_path):
    """The ConfigMap and the hub-migrate Secret's keys, no development defaults, no broker."""
    [job] = objects("production", "Job").values()
    env = environment("production", pod_spec(job)["containers"][0])
    env.update({key: f"sqlite:///{tmp_path / key.lower()}.db" for key in MIGRATE_KEYS}, HUB_DATA_DIR=str(tmp_path))
    env.update(PATH=os.environ["PATH"], EVENTLET_TESTS="1")
    result = subprocess.run([sys.executable, "-m", "hubstack.migrate", "upgrade"], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [word for service in SERVICES for word in (f"{service}:", "migrated")]


# --- images, configuration and secrets ---------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_pinned_image_everywhere(overlay):
    workloads = [*objects(overlay, "Deployment").values(), *objects(overlay, "Job").values()]
    images = {container["image"] for workload in workloads for container in containers(workload)}
    assert len(images) == 1, images
    [image] = images
    name, tag = image.rsplit(":", 1)
    assert name.endswith("industry-hub") and tag != "latest"
    for workload in workloads:
        assert {c["imagePullPolicy"] for c in containers(workload)} == {"IfNotPresent"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_config_map_holds_documented_settings_and_no_secret(overlay):
    from tests.deploy.test_compose import env_example

    data = config_map(overlay)["data"]
    assert config_map(overlay)["metadata"]["name"].startswith("hub-config-")  # hashed: a change rolls pods
    assert sorted(set(data) - set(env_example())) == []
    assert [key for key in data if SECRET_LOOKING.search(key)] == []
    assert "AMQP_URI" not in data  # the operator's broker account is in no pod
    assert "HUB_DEV_DEFAULTS" not in data and "HUB_MIGRATE_ON_START" not in data
    assert data["HUB_AMQP_CA_FILE"] == "/etc/hub-ca/ca.pem"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_process_gets_only_its_own_secret_and_the_broker_ca(overlay):
    secrets = example_secrets()
    for name, deployment in objects(overlay, "Deployment").items():
        refs = {s["secretRef"]["name"] for c in containers(deployment) for s in c["envFrom"] if "secretRef" in s}
        assert refs == {f"hub-{name}"}
        volumes = {v["secret"]["secretName"] for v in pod_spec(deployment)["volumes"] if "secret" in v}
        assert volumes == {"hub-broker-ca"}
        assert set(secrets[f"hub-{name}"]["stringData"]) == SECRET_KEYS[name], name
        env = environment(overlay, main_container(deployment))
        assert env["HUB_AMQP_CA_FILE"].startswith("/etc/hub-ca/")
        mounts = {m["name"]: m for m in main_container(deployment)["volumeMounts"]}
        assert mounts["broker-ca"]["mountPath"] == "/etc/hub-ca" and mounts["broker-ca"]["readOnly"] is True


def code_of(process: str) -> list[Path]:
    if process == "gateway":
        return list((ROOT / "gateway" / "gateway").rglob("*.py"))
    if process == "inbound-mail":
        return [ROOT / "services" / "documents" / "documents" / "inbound_mail.py"]
    package = ROOT / "services" / process / process
    sources = [p for p in package.rglob("*.py") if "migrations" not in p.parts]
    return sources + [ROOT / "services" / process / "config.yml"]


def settings_read_by(process: str) -> set[str]:
    """Settings the process's own code names, plus what the shared code reads on its behalf."""
    names = set()
    for path in code_of(process):
        text = path.read_text()
        names |= set(re.findall(r"""(?:setting|secret|environ\.get)\(\s*f?["']([A-Z0-9_]+)["']""", text))
        names |= set(re.findall(r"\$\{([A-Z0-9_]+)", text))
        for required in re.findall(r"RequiredSecrets\(([^)]*)\)", text):
            names |= set(re.findall(r"[A-Z][A-Z0-9_]+", required))
        if "ObjectStorage(" in text or "storage_from_config(" in text:
            names |= S3_KEYS  # common.config.s3_settings
    user = ready.broker_user(process)
    names.add(f"{user.upper()}_AMQP_URI")  # hubstack.launch, documents.inbound_mail
    if process in SERVICES:
        names.add(f"{process.upper()}_DB_URL")  # common.db
    return names


@pytest.mark.parametrize("process", PROCESSES)
def test_the_secret_table_matches_what_the_code_reads(process):
    read = settings_read_by(process)
    assert sorted(SECRET_KEYS[process] - read) == [], "a secret the process never reads"
    assert sorted({name for name in read if SECRET_LOOKING.search(name)} - SECRET_KEYS[process]) == [], \
        "a secret the process reads but its Secret lacks"


def test_processes_without_storage_get_no_storage_keys():
    for process in ("rosters", "training", "notifications"):
        assert not S3_KEYS & settings_read_by(process)
        assert not S3_KEYS & SECRET_KEYS[process]


# --- autoscaling -------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_gateway_scales_on_cpu(overlay):
    [hpa] = objects(overlay, "HorizontalPodAutoscaler").values()
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    # utilization is measured against the request, so there must be one
    assert quantity(main_container(objects(overlay, "Deployment")["gateway"])["resources"]["requests"]["cpu"]) > 0


def test_production_runs_at_least_two_of_everything():
    deployments = objects("production", "Deployment")
    assert objects("production", "HorizontalPodAutoscaler")["gateway"]["spec"]["minReplicas"] >= 2
    assert deployments["inbound-mail"]["spec"]["replicas"] >= 2
    for scaled in objects("production", "ScaledObject").values():
        assert scaled["spec"]["minReplicaCount"] >= 2


# --- the README tells an operator how ----------------------------------------------------------

def test_the_readme_explains_the_kubernetes_deployment():
    readme = (ROOT / "README.md").read_text()
    section = re.split(r"\n##+ ", readme.split("\n### Kubernetes\n", 1)[1], maxsplit=1)[0]
    for needle in ("kubectl apply -k deploy/k8s/overlays/production", "quorum", "KEDA", "HUB_MIGRATE_ON_START",
                   "secrets.example.yaml", "hub-migrate", "/readyz"):
        assert needle in section, needle


def test_prometheus_finds_every_process_that_serves_metrics():
    """deploy/prometheus.yml scrapes each compose service on HUB_METRICS_PORT, and each pod the
    base annotates (the five services and the gateway) says where its metrics are."""
    import yaml

    from common.config import SERVICES

    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    compose_job = next(job for job in scrape["scrape_configs"] if job["job_name"] == "hub-compose")
    targets = {t for group in compose_job["static_configs"] for t in group["targets"]}
    assert targets == {f"{name}:9100" for name in (*SERVICES, "gateway")}
    config = (ROOT / "deploy" / "k8s" / "base" / "config.env").read_text()
    assert "HUB_METRICS_PORT=9100" in config.splitlines()
    for name in (*SERVICES, "gateway"):
        deployment = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / f"{name}.yaml").read_text())
        template = next(d for d in deployment if d and d.get("kind") == "Deployment")["spec"]["template"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == "9100", name
