"""`make bench`: every figure of issue 12 measured at the size `make bench-data` generated, each
next to its raw baseline taken in the same run, printed as one table (bench/table.py).

    python -m bench [--quick] [--only relay,ingest,...] [--write bench/RESULTS.md] [--small]

The benchmarks that write work on scratch copies of the hub_bench_* databases; the ones that go
through the gateway share one Hub started on copies (bench/stack_at_scale.py). `--small` adds
the older single-purpose benchmarks (RPC round trip, SQLite relay and payroll, import rate),
which print their own lines."""
import os

os.environ.setdefault("EVENTLET_TESTS", "1")  # silence eventlet's import banner

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import importlib  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench.table import Figure, render  # noqa: E402

# (name, module, needs the Hub running); the ones without the Hub run first, on a quieter machine
BENCHES = (
    ("relay", "bench.relay_at_scale", False),
    ("ingest", "bench.ingest_at_scale", False),
    ("sweep", "bench.sweep_at_scale", False),
    ("scale_out", "bench.scale_out", False),
    ("read_paths", "bench.read_paths", True),
    ("load", "bench.load_test", True),
    ("memory", "bench.memory", True),
    ("growth", "bench.growth", False),
)
SMALL = ("rpc_latency", "outbox_throughput", "engine_sweep", "payroll_ingest", "search", "import_rate")


def _command(*args: str) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    postgres = _command("psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version")
    rabbit = _command("rabbitmqctl", "version")
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.0f} GiB, Python {platform.python_version()}, "
            f"PostgreSQL {postgres.split()[0] if postgres else 'unknown'}, RabbitMQ {rabbit or 'unknown'}; "
            f"load average at the start {load}")


def _failed(name: str, exc: BaseException) -> Figure:
    return Figure(name=f"{name} (did not finish)", value=None, unit="", met=False,
                  note=f"{type(exc).__name__}: {str(exc)[:300]}")


def collect(names: set[str], quick: bool) -> list[Figure]:
    from bench.stack_at_scale import ScaledHub, default_context

    context = default_context(quick)
    figures: list[Figure] = []
    hub = None
    try:
        for name, module_name, needs_hub in BENCHES:
            if name not in names:
                continue
            if needs_hub and hub is None:
                hub = ScaledHub(context["manifest"], label="bench").start()
                context["stack"] = hub
            started = time.perf_counter()
            print(f"## {name} …", flush=True)
            try:
                found = importlib.import_module(module_name).figures(context)
            except Exception as exc:  # noqa: BLE001 - one benchmark failing still prints the others
                traceback.print_exc()
                found = [_failed(name, exc)]
            for figure in found:
                print(render([figure]).splitlines()[2])  # its row, as it will be in the table
            print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
            figures += found
    finally:
        if hub is not None:
            hub.stop()
    return figures


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs of each benchmark (for CI)")
    parser.add_argument("--only", help="comma-separated: " + ", ".join(name for name, _, _ in BENCHES))
    parser.add_argument("--write", type=Path, help="also write the table, with the machine, to this file")
    parser.add_argument("--small", action="store_true", help="also run the older single-purpose benchmarks")
    args = parser.parse_args(argv)
    names = set(args.only.split(",")) if args.only else {name for name, _, _ in BENCHES}
    unknown = names - {name for name, _, _ in BENCHES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    described = machine()
    started = time.perf_counter()
    figures = collect(names, args.quick)
    table = render(figures)
    minutes = (time.perf_counter() - started) / 60
    heading = (f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {minutes:.1f} minutes"
               f"{' (--quick)' if args.quick else ''} on {described}.")
    print(f"\n{heading}\n\n{table}")
    if args.write:
        args.write.write_text(f"# Benchmark results (`make bench`)\n\n{heading}\n\n{table}\n")
    if args.small:
        for name in SMALL:
            print(f"\n## {name}")
            importlib.import_module(f"bench.{name}").run()


if __name__ == "__main__":
    main()
