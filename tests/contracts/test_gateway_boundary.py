"""The gateway speaks to services only through common/contracts and RPC: it imports nothing from
services/ (ARCHITECTURE.md, "Contracts in one place"), so a service can change its models,
engine or queries without the gateway noticing, and the gateway image needs no service code."""
import ast
import subprocess
import sys
from pathlib import Path

from common.config import SERVICES

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "gateway" / "gateway"


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def test_no_gateway_module_imports_a_service_package():
    offending = [f"{path.relative_to(ROOT)}:{line} imports {module}"
                 for path in sorted(GATEWAY.rglob("*.py"))
                 for line, module in _imported_modules(path)
                 if module.split(".")[0] in SERVICES]
    assert not offending, "\n".join(offending)


def test_the_running_gateway_loads_no_service_package():
    # catches imports hidden behind common/ too: build the app and list what got imported
    probe = ("import sys; from gateway import create_app; create_app({'TESTING': True}); "
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVICES!r}))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "HUB_DEV_DEFAULTS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", f"the gateway loaded service modules: {result.stdout}"


def test_contracts_import_only_pydantic_and_common():
    allowed = {"__future__", "uuid", "re", "datetime", "typing", "unicodedata", "pydantic", "common"}
    offending = [f"{path.name}:{line} imports {module}"
                 for path in sorted((ROOT / "common" / "contracts").glob("*.py"))
                 for line, module in _imported_modules(path)
                 if module.split(".")[0] not in allowed]
    assert not offending, "\n".join(offending)
