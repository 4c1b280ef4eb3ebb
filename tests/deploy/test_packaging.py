"""pyproject.toml's packaging: every folder of code or data is listed, every data pattern matches
real files, and building the package prints no setuptools warnings (`make run` stays quiet)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def package_roots() -> dict[str, Path]:
    dirs = SETUPTOOLS["package-dir"]
    tops = {name.split(".")[0] for name in SETUPTOOLS["packages"]}
    return {top: ROOT / dirs.get(top, top) for top in tops}


def folders_on_disk() -> set[str]:
    found = set()
    for top, root in package_roots().items():
        for folder in [root, *root.rglob("*")]:
            if folder.is_dir() and "__pycache__" not in folder.parts and any(
                    p.is_file() for p in folder.iterdir() if p.suffix != ".pyc"):
                found.add(".".join([top, *folder.relative_to(root).parts]))
    return found


def test_every_folder_of_code_or_data_is_a_listed_package():
    listed = set(SETUPTOOLS["packages"])
    missing = folders_on_disk() - listed
    assert sorted(missing) == [], "add these to [tool.setuptools] packages in pyproject.toml"


def test_every_package_data_pattern_matches_a_real_file():
    roots = package_roots()
    files = [path for root in roots.values() for path in root.rglob("*") if path.is_file()]
    for key, patterns in SETUPTOOLS["package-data"].items():
        for pattern in patterns:
            assert any(path.match(pattern) for path in files), f"package-data {key}: {pattern} matches nothing"


def test_license_is_an_spdx_expression():
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert "tzdata>=2024.1" in PYPROJECT["project"]["dependencies"]


def test_building_the_package_prints_no_warnings(tmp_path):
    source = tmp_path / "src"
    for name in ("pyproject.toml", "common", "hubstack", "gateway", "services"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "out"),
                             "."], cwd=source, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines()
                if "Warning" in line and "Location 'file:" not in line]
    assert warnings == [], "\n".join(warnings)
