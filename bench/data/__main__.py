"""python -m bench.data [--people N | --quick] [--seed S] [--prefix hub_bench] [--today YYYY-MM-DD]
                       [--history-every N]

Drops and makes again the databases <prefix>_accounts, _rosters, _documents, _training and
_notifications on the server named by HUB_BENCH_PG (the local PostgreSQL by default), migrates
them as the services do, stores the reference catalog and a generated one of 200+ classifications,
and fills them with N people (60,000 by default) and about 100 rows a person. The same seed and
day give the same data. `make bench-data` runs it with BENCH_PEOPLE people."""
import argparse
import os
from datetime import date
from pathlib import Path

os.environ.setdefault("EVENTLET_TESTS", "1")  # silence eventlet's import banner (nameko is imported)

from bench.data.generate import DEFAULT_CATALOG_DIR, DEFAULT_MANIFEST, Options, run  # noqa: E402

QUICK_PEOPLE = 6_000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.data", description=__doc__.split("\n\n")[1])
    parser.add_argument("--people", type=int, help="how many people (default 60,000; 6,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people, for CI")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prefix", default="hub_bench", help="database names are <prefix>_<service>")
    parser.add_argument("--today", type=date.fromisoformat,
                        help="the day the data is as of (default: the Hub's today, common.clock)")
    parser.add_argument("--catalog-dir", type=Path, default=DEFAULT_CATALOG_DIR,
                        help="where the generated catalog files are written")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST,
                        help="the JSON summary for benchmarks: URLs, counts, sample people")
    parser.add_argument("--chunk", type=int, default=500, help="people per COPY chunk")
    parser.add_argument("--history-every", type=int, default=1, metavar="N",
                        help="only every Nth person gets work days, documents and messages (the bulk "
                             "tables); the rest get accounts, records and completions. 1: everyone")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    people = args.people if args.people is not None else QUICK_PEOPLE if args.quick else 60_000
    if people < 10:
        parser.error("--people must be at least 10")
    if args.history_every < 1:
        parser.error("--history-every must be at least 1")
    if not args.prefix.replace("_", "").isalnum() or not args.prefix[0].isalpha():
        parser.error("--prefix is letters, digits and '_', starting with a letter")
    run(Options(people=people, seed=args.seed, prefix=args.prefix.lower(), today=args.today,
                catalog_dir=args.catalog_dir, manifest=args.manifest, chunk=args.chunk, quiet=args.quiet,
                history_every=args.history_every))


if __name__ == "__main__":
    main()
