"""The whole Hub as local processes: five nameko services and the gateway.

Used by `make run` (hubstack.run) and by the end-to-end and browser tests, so the tests start
the system exactly the way a newcomer does. Each process is `python -m hubstack.launch <name>`,
as in the containers. `supervise_once()` restarts a process that died, like a process
supervisor would, and gives up (raises) after RESTART_LIMIT restarts within RESTART_WINDOW.
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

from common import config as hub_config
from common.config import SERVICES

ROOT = Path(__file__).resolve().parent.parent
COLOURS = {"accounts": 34, "rosters": 35, "documents": 36, "training": 33, "notifications": 32,
           "gateway": 37, "inbound-mail": 36}
INBOUND_MAIL = "inbound-mail"  # the documents mailbox's SMTP server (documents.inbound_mail)


RESTART_LIMIT = 5
RESTART_WINDOW = 60.0


def service_class(service: str) -> str:
    return f"{service}.service:{service.capitalize()}Service"


class GaveUp(RuntimeError):
    """A process kept dying: RESTART_LIMIT restarts within RESTART_WINDOW seconds."""


class Stack:
    def __init__(self, env: dict | None = None, log_dir: Path | None = None, echo: bool = True,
                 restart_limit: int = RESTART_LIMIT, restart_window: float = RESTART_WINDOW):
        self.env = {**os.environ, **(env or {})}
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.log_dir = log_dir
        self.echo = echo
        self.processes: dict[str, subprocess.Popen] = {}
        self._pumps: list[threading.Thread] = []
        self.restart_limit = restart_limit
        self.restart_window = restart_window
        self._restarts: dict[str, list[float]] = {}
        self.notices: list[str] = []  # what the supervisor said, for tests and the log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env.get('HUB_PORT', '8080')}"

    def start(self, names=(*SERVICES, "gateway"), timeout: float = 120) -> None:
        """Starts the services and, once they answer, the gateway (which would otherwise log
        "Unknown service" while polling services that are still starting)."""
        services = [name for name in names if name != "gateway"]
        for name in services:
            self._spawn(name, [sys.executable, "-m", "hubstack.launch", name])
        if "gateway" in names:
            if services:
                self.wait_for_services(services, timeout)
            self._spawn("gateway", [sys.executable, "-m", "hubstack.launch", "gateway"])

    def start_inbound_mail(self) -> None:
        """The documents mailbox's SMTP server on HUB_INBOUND_SMTP_PORT (default 8025); it talks to
        the documents service over RPC, so it starts once the services answer."""
        self._spawn(INBOUND_MAIL, [sys.executable, "-m", "documents.inbound_mail"])

    def wait_for_services(self, services, timeout: float = 120) -> None:
        """Until each service consumes its RPC queue (nameko's `rpc-<service>`), asked passively
        so that nothing is sent to a service still starting; raises if one exits or time runs
        out."""
        from common.topology import connect

        config = hub_config.nameko_config(self.env)
        deadline = time.monotonic() + timeout
        waiting = list(services)
        while True:
            for name in waiting:
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(f"{name} exited with code {process.returncode} while starting")
            try:
                with connect(config["AMQP_URI"], config, connect_timeout=5) as connection:
                    for name in list(waiting):
                        channel = connection.channel()
                        try:
                            _, _, consumers = channel.queue_declare(f"rpc-{name}", passive=True)
                        except Exception:  # the queue does not exist yet (and the channel closed)
                            consumers = 0
                        else:
                            channel.close()
                        if consumers:
                            waiting.remove(name)
            except OSError:
                pass  # the broker is restarting; try again
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{', '.join(waiting)} did not start within {timeout:.0f}s")
            time.sleep(0.5)

    def say(self, line: str) -> None:
        self.notices.append(line)
        if self.echo:
            print(line, flush=True)
        if self.log_dir:
            with open(self.log_dir / "supervisor.log", "a") as log_file:
                log_file.write(line + "\n")

    def supervise_once(self) -> list[str]:
        """Restarts every process that has exited; returns their names. Raises GaveUp for one
        that exited more than `restart_limit` times within `restart_window` seconds."""
        restarted = []
        now = time.monotonic()
        for name, process in list(self.processes.items()):
            if process.poll() is None:
                continue
            recent = [t for t in self._restarts.get(name, []) if now - t < self.restart_window]
            if len(recent) >= self.restart_limit:
                raise GaveUp(f"{name} exited with code {process.returncode} after "
                             f"{len(recent)} restarts in {self.restart_window:.0f}s; giving up")
            recent.append(now)
            self._restarts[name] = recent
            self.say(f"{name} exited with code {process.returncode}; restarting "
                     f"({len(recent)}/{self.restart_limit})")
            self.restart(name)
            restarted.append(name)
        return restarted

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
