"""`make bench`: run every benchmark against the local broker and print the figures."""
import os

os.environ.setdefault("EVENTLET_TESTS", "1")  # silence eventlet's import banner

import eventlet  # noqa: E402

eventlet.monkey_patch()

from bench import engine_sweep, import_rate, outbox_throughput, payroll_ingest, rpc_latency, search  # noqa: E402


def main() -> None:
    for bench in (rpc_latency, outbox_throughput, engine_sweep, payroll_ingest, search, import_rate):
        print(f"\n## {bench.__name__.split('.')[-1]}")
        bench.run()


if __name__ == "__main__":
    main()
