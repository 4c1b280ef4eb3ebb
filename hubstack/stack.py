"""The whole Hub as local processes: five nameko services and the gateway.

Used by `make run` (hubstack.run) and by the end-to-end and browser tests, so the tests start
the system exactly the way a newcomer does.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

from common.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COLOURS = {"accounts": 34, "rosters": 35, "documents": 36, "training": 33, "notifications": 32,
           "gateway": 37}


def service_class(service: str) -> str:
    return f"{service}.service:{service.capitalize()}Service"


class Stack:
    def __init__(self, env: dict | None = None, log_dir: Path | None = None, echo: bool = True):
        self.env = {**os.environ, **(env or {})}
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.log_dir = log_dir
        self.echo = echo
        self.processes: dict[str, subprocess.Popen] = {}
        self._pumps: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('HUB_PORT', '8080')}"

    def start(self, names=(*SERVICES, "gateway")) -> None:
        for name in names:
            if name == "gateway":
                self._spawn(name, [sys.executable, "-m", "gateway"])
            else:
                self._spawn(name, [sys.executable, "-m", "nameko", "run", "--config",
                                   str(ROOT / "services" / name / "config.yml"), service_class(name)])

    def _spawn(self, name: str, argv: list[str]) -> None:
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, bufsize=1,
                                   start_new_session=True)
        self.processes[name] = process
        pump = threading.Thread(target=self._pump, args=(name, process), daemon=True)
        pump.start()
        self._pumps.append(pump)

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        log_file = open(self.log_dir / f"{name}.log", "a") if self.log_dir else None
        prefix = f"\033[{COLOURS.get(name, 37)}m{name:>13} |\033[0m "
        for line in process.stdout:
            if log_file:
                log_file.write(line)
                log_file.flush()
            if self.echo:
                sys.stdout.write(prefix + line)
        if log_file:
            log_file.close()

    def wait_healthy(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
            try:
                response = requests.get(self.url + "/healthz", timeout=10)
                last = response.json()
                if response.status_code == 200:
                    return last
            except (requests.RequestException, ValueError) as exc:
                last = str(exc)
            time.sleep(0.5)
        raise RuntimeError(f"the Hub did not become healthy within {timeout:.0f}s: {last}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def restart(self, name: str) -> None:
        argv = self.processes[name].args
        self._spawn(name, argv)

    def stop(self, timeout: float = 15) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
