"""A small kustomize, for the subset deploy/k8s uses, so the tests need no kubectl.

Supported, with kustomize's meaning and order: `resources` (files and kustomization folders),
`components` (kind: Component), `configMapGenerator` (`envs` files; `behavior: merge` in an
overlay; the content-hash name suffix, with every reference in pod specs renamed to match),
`patches` (JSON 6902 add, remove and replace, inline or from a file, the target chosen by kind and
a name regex),
`namespace`, `replicas` and `images`. Anything else in a kustomization fails the render, so a
manifest cannot quietly use a feature this renderer would ignore. Where kubectl is installed, a
test compares the two renderings.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "components", "configMapGenerator",
             "patches", "replicas", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "CustomResourceDefinition", "PriorityClass"}
GENERATED = "__generated__"  # a private mark on generated ConfigMaps, removed before returning


class Unsupported(ValueError):
    pass


def render(folder: Path) -> list[dict]:
    """The objects `kubectl kustomize folder` prints (in another order)."""
    objects = _build(Path(folder), component=False, accumulated=[])
    _name_generated(objects)
    return objects


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kustomization(folder: Path) -> dict:
    data = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(data) - SUPPORTED
    if unknown:
        raise Unsupported(f"{folder}/kustomization.yaml uses {sorted(unknown)}: teach tests/support/kustomize.py")
    return data


def _build(folder: Path, component: bool, accumulated: list[dict]) -> list[dict]:
    data = _kustomization(folder)
    expected_kind = "Component" if component else "Kustomization"
    if data.get("kind", "Kustomization") != expected_kind:
        raise Unsupported(f"{folder}: a {data.get('kind')} where a {expected_kind} belongs")
    objects = accumulated
    for entry in data.get("resources", []):
        path = (folder / entry).resolve()
        if path.is_dir():
            objects.extend(_build(path, component=False, accumulated=[]))
        else:
            if not path.is_relative_to(folder.resolve()):
                raise Unsupported(f"{entry}: kustomize loads files only from inside {folder}")
            objects.extend(load_documents(path))
    for entry in data.get("components", []):
        objects = _build((folder / entry).resolve(), component=True, accumulated=objects)
    for generator in data.get("configMapGenerator", []):
        _generate_config_map(folder, generator, objects)
    # kustomize's transformer order: patches, namespace, replicas, images
    for patch in data.get("patches", []):
        _apply_patch(folder, patch, objects)
    if "namespace" in data:
        for obj in objects:
            if obj["kind"] == "Namespace":
                obj["metadata"]["name"] = data["namespace"]
            elif obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = data["namespace"]
    for replica in data.get("replicas", []):
        targets = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet", "ReplicaSet")
                   and o["metadata"]["name"] == replica["name"]]
        if not targets:
            raise Unsupported(f"replicas: no workload named {replica['name']}")
        for obj in targets:
            obj["spec"]["replicas"] = replica["count"]
    for image in data.get("images", []):
        for container in _containers(objects):
            _set_image(container, image)
    return objects


def _read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise Unsupported(f"{path}: {line!r} is not KEY=VALUE")
        key, value = line.split("=", 1)
        if value[:1] in ("'", '"'):
            raise Unsupported(f"{path}: {key} is quoted; kustomize's quote rules are not copied here")
        values[key] = value
    return values


def _generate_config_map(folder: Path, generator: dict, objects: list[dict]) -> None:
    unknown = set(generator) - {"name", "envs", "behavior"}
    if unknown:
        raise Unsupported(f"configMapGenerator {generator['name']}: {sorted(unknown)}")
    data = {}
    for env_file in generator.get("envs", []):
        data.update(_read_env_file(folder / env_file))
    behavior = generator.get("behavior", "create")
    existing = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == generator["name"]]
    if behavior == "create":
        if existing:
            raise Unsupported(f"ConfigMap {generator['name']} exists already: behavior merge or replace")
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]},
                        "data": data, GENERATED: True})
    elif behavior == "merge":
        if not existing:
            raise Unsupported(f"ConfigMap {generator['name']} to merge into does not exist")
        existing[0]["data"].update(data)
    else:
        raise Unsupported(f"configMapGenerator behavior {behavior}")


def _apply_patch(folder: Path, patch: dict, objects: list[dict]) -> None:
    unknown = set(patch) - {"path", "patch", "target"}
    if unknown or "target" not in patch or set(patch["target"]) - {"kind", "name"}:
        raise Unsupported(f"patch {patch}: only JSON 6902 patches with a kind/name target")
    text = (folder / patch["path"]).read_text() if "path" in patch else patch["patch"]
    operations = yaml.safe_load(text)
    if not isinstance(operations, list):
        raise Unsupported(f"patch {patch}: strategic merge patches are not supported here")
    target = patch["target"]
    name = re.compile(target.get("name", ".*"))  # kustomize matches the name as an anchored regex
    matched = False
    for index, obj in enumerate(objects):
        if obj["kind"] == target.get("kind", obj["kind"]) and name.fullmatch(obj["metadata"]["name"]):
            objects[index] = _json_patch(obj, operations)
            matched = True
    if not matched:
        raise Unsupported(f"patch target {target} matches nothing")


def _json_patch(obj: dict, operations: list[dict]) -> dict:
    """RFC 6902 add, remove and replace (all these manifests use); a missing path fails, as there."""
    result = copy.deepcopy(obj)
    for operation in operations:
        op, path = operation["op"], operation["path"]
        if op not in ("add", "remove", "replace") or not path.startswith("/"):
            raise Unsupported(f"JSON patch {operation}")
        *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            if op == "add":
                node.insert(len(node) if last == "-" else int(last), copy.deepcopy(operation["value"]))
                continue
            index = int(last)
            node[index]  # noqa: B018 (IndexError for a missing element, as RFC 6902 asks)
        elif op != "add" and last not in node:
            raise Unsupported(f"JSON patch {operation}: {path} does not exist")
        else:
            index = last
        if op == "remove":
            del node[index]
        else:
            node[index] = copy.deepcopy(operation["value"])
    return result


def _pod_specs(objects: list[dict]) -> list[dict]:
    specs = []
    for obj in objects:
        template = obj.get("spec", {}).get("template", {}) if isinstance(obj.get("spec"), dict) else {}
        if "spec" in template:
            specs.append(template["spec"])
    return specs


def _containers(objects: list[dict]) -> list[dict]:
    return [c for spec in _pod_specs(objects) for c in spec.get("containers", []) + spec.get("initContainers", [])]


def _set_image(container: dict, image: dict) -> None:
    unknown = set(image) - {"name", "newName", "newTag"}
    if unknown:
        raise Unsupported(f"images: {sorted(unknown)}")
    match = re.fullmatch(r"(?P<name>[^:@]+(?::\d+/[^:@]+)?)(?::(?P<tag>[^@]+))?", container["image"])
    if not match or match["name"] != image["name"]:
        return
    name = image.get("newName", match["name"])
    tag = image.get("newTag", match["tag"])
    container["image"] = f"{name}:{tag}" if tag else name


def kustomize_hash(config_map: dict) -> str:
    """kustomize's name suffix: sha256 of the Go JSON of kind, (an empty) name and data, its first
    ten hex digits with 0, 1, 3, a, e swapped for consonants."""
    text = json.dumps({"data": config_map.get("data", {}), "kind": "ConfigMap", "name": ""},
                      separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # Go's HTML escaping
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"}))


def _name_generated(objects: list[dict]) -> None:
    renamed = {}
    for obj in objects:
        if obj.pop(GENERATED, False):
            old = obj["metadata"]["name"]
            obj["metadata"]["name"] = renamed[old] = f"{old}-{kustomize_hash(obj)}"
    for spec in _pod_specs(objects):
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] in renamed:
                    source["configMapRef"]["name"] = renamed[source["configMapRef"]["name"]]
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("configMapKeyRef")
                if ref and ref["name"] in renamed:
                    ref["name"] = renamed[ref["name"]]
        for volume in spec.get("volumes", []):
            if "configMap" in volume and volume["configMap"]["name"] in renamed:
                volume["configMap"]["name"] = renamed[volume["configMap"]["name"]]


def by_identity(objects: list[dict]) -> dict[tuple[str, str, str], dict]:
    """{(kind, namespace, name): object}; two objects with one identity fail, as in kustomize."""
    found = {}
    for obj in objects:
        key = (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if key in found:
            raise Unsupported(f"two objects are {key}")
        found[key] = copy.deepcopy(obj)
    return found
