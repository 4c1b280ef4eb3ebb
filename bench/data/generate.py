"""The run: databases, catalog, people, indexes, ANALYZE, the manifest and the summary."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.data import pg
from bench.data.catalog import class_infos, load_both, write_catalog
from bench.data.rows import Chunk, World
from bench.data.tables import SERIAL_IDS, SERVICES, TABLES, check_columns, columns_of
from common.config import setting

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG_DIR = HERE / "catalog_generated"
DEFAULT_MANIFEST = HERE / "last_run.json"
BENCH_PASSWORD = "Bench-Data-Passw0rd-2026"   # every generated account's password (throwaway data)
INDEX_SETTINGS = {"maintenance_work_mem": "512MB", "synchronous_commit": "off"}


@dataclass
class Options:
    people: int = 60_000
    seed: int = 1
    prefix: str = "hub_bench"
    server: str = field(default_factory=lambda: setting("HUB_BENCH_PG", pg.DEFAULT_SERVER))
    today: date | None = None
    catalog_dir: Path = DEFAULT_CATALOG_DIR
    manifest: Path | None = DEFAULT_MANIFEST
    chunk: int = 500            # people per COPY chunk
    index_workers: int = 2      # indexes built at once after the load
    history_every: int = 1      # every Nth person gets work days, documents and messages
    quiet: bool = False


class Say:
    def __init__(self, quiet: bool):
        self.quiet, self.started = quiet, time.perf_counter()

    def __call__(self, text: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.started:7.1f}s] {text}", flush=True)


def run(options: Options) -> dict:
    from accounts.passwords import hash_password
    from documents.document_types import load_document_types
    from training.courses import load_courses

    from common.clock import today as hub_today
    from common.secrets import MissingSecret, secret

    say = Say(options.quiet)
    check_columns()
    try:
        secret("HUB_SSN_KEY")
    except MissingSecret as exc:
        raise SystemExit(f"{exc}\n(`make bench-data` sets HUB_DEV_DEFAULTS=1.)") from None
    today = options.today or hub_today()
    names = {service: f"{options.prefix}_{service}" for service in SERVICES}
    urls = {service: pg.database_url(options.server, name) for service, name in names.items()}
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    say(f"{options.people:,} people, seed {options.seed}, today {today}; databases {', '.join(names.values())}"
        + (f"; work days, documents and messages for every {options.history_every}th person"
           if options.history_every > 1 else ""))
    pg.recreate_databases(options.server, list(names.values()))
    for service, url in urls.items():
        pg.migrate(service, url)
    _check_migrated_columns(urls)
    phases["databases and migrations"] = time.perf_counter() - mark
    say("databases made and migrated")

    mark = time.perf_counter()
    catalog_info = _store_catalog(urls["rosters"], options.catalog_dir)
    infos = class_infos(catalog_info.pop("catalog"), today, set(catalog_info["generated_locals"]))
    phases["catalog"] = time.perf_counter() - mark
    say(f"catalog: {catalog_info['generated']['classifications']} generated classifications in "
        f"{catalog_info['generated']['locals']} locals ({catalog_info['generated']['files']} files in "
        f"{options.catalog_dir}) beside the reference catalog's {catalog_info['reference']['classifications']}")

    world = World(options.seed, today, options.people, infos, load_courses(), load_document_types().by_code,
                  hash_password(BENCH_PASSWORD), history_every=options.history_every)
    set_aside, before = {}, {}
    for service, url in urls.items():
        connection = pg.connect(url)
        with connection.cursor() as cursor:
            before[service] = pg.schema_objects(cursor)
            set_aside[service] = pg.SetAside(cursor, [table for table, _ in TABLES[service]])
            set_aside[service].drop(cursor)
        connection.commit()
        connection.close()

    mark = time.perf_counter()
    loaders = {service: pg.Loader(service, url, [table for table, _ in TABLES[service]])
               for service, url in urls.items()}
    for loader in loaders.values():
        loader.start()
    staff = Chunk()
    world.staff_rows(staff)
    _send(staff, loaders)
    step = max(options.chunk, options.people // 10)
    next_report = step
    for start in range(0, options.people, options.chunk):
        chunk = Chunk()
        for i in range(start, min(start + options.chunk, options.people)):
            world.person(i, chunk)
        _send(chunk, loaders)
        done = min(start + options.chunk, options.people)
        if done >= next_report or done == options.people:
            next_report += step
            loaded = {f"{s}.{t}": n for s, loader in loaders.items() for t, n in loader.rows.items()}
            total = sum(loaded.values())
            elapsed = time.perf_counter() - mark
            biggest = sorted(loaded.items(), key=lambda kv: -kv[1])[:4]
            say(f"{100 * done // options.people:3d}% {done:,}/{options.people:,} people · {total:,} rows loaded "
                f"({total / elapsed:,.0f} rows/s) · " + " · ".join(f"{t} {n:,}" for t, n in biggest))
    for loader in loaders.values():
        loader.put(None)
    for loader in loaders.values():
        loader.join()
        if loader.error is not None:
            raise RuntimeError(f"loading {loader.service} failed: {loader.error}") from loader.error
    phases["generate and COPY"] = time.perf_counter() - mark
    say(f"loaded {sum(sum(loader.rows.values()) for loader in loaders.values()):,} rows")

    mark = time.perf_counter()
    sizes = {(s, t): n for s, loader in loaders.items() for t, n in loader.rows.items()}
    builds = sorted(((sizes.get((s, _table_of(statement)), 0), urls[s], statement)
                     for s, aside in set_aside.items() for statement in aside.build_statements()), reverse=True)
    index_timings = pg.rebuild([(url, [statement]) for _, url, statement in builds], options.index_workers,
                               INDEX_SETTINGS)
    index_timings += pg.rebuild([(urls[s], aside.attach_statements()) for s, aside in set_aside.items()],
                                options.index_workers, INDEX_SETTINGS)
    for service, url in urls.items():
        connection = pg.connect(url)
        with connection.cursor() as cursor:
            after = pg.schema_objects(cursor)
        connection.close()
        if after != before[service]:
            raise RuntimeError(f"{service}: the indexes and constraints after the load differ from the migrated "
                               f"ones: missing {sorted(before[service] - after)}, "
                               f"extra {sorted(after - before[service])}")
    phases["indexes and constraints"] = time.perf_counter() - mark
    say(f"{len(builds)} indexes and {sum(len(a.attach_statements()) for a in set_aside.values())} keys rebuilt, "
        "identical to the migrated schema")

    mark = time.perf_counter()
    pg.rebuild([(url, ["ANALYZE"]) for url in urls.values()], options.index_workers, INDEX_SETTINGS)
    phases["ANALYZE"] = time.perf_counter() - mark
    counts, table_sizes, database_sizes = _measure(urls, names, options.server)
    for (service, table), loaded in sizes.items():
        if counts[service][table] != loaded:
            raise RuntimeError(f"{service}.{table}: {loaded} rows sent, {counts[service][table]} in the table")
    phases["total"] = time.perf_counter() - say.started
    say("ANALYZE done")

    manifest = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": options.seed, "people": options.people, "today": today.isoformat(), "prefix": options.prefix,
        "history_every": options.history_every,
        "databases": {service: pg.database_url(options.server, name) for service, name in names.items()},
        "env": {f"{service.upper()}_DB_URL": url for service, url in urls.items()},
        "catalog": catalog_info,
        "counts": counts,
        "total_rows": sum(n for tables in counts.values() for n in tables.values()),
        "database_mb": database_sizes,
        "table_mb": table_sizes,
        "seconds": {name: round(value, 1) for name, value in phases.items()},
        "slowest_indexes": [{"statement": s, "seconds": round(t, 1)}
                            for s, t in sorted(index_timings, key=lambda st: -st[1])[:5]],
        "copy_rows_per_second": {f"{s}.{t}": round(loader.rows[t] / loader.seconds[t]) if loader.seconds[t] else None
                                 for s, loader in loaders.items() for t in loader.rows},
        "password": BENCH_PASSWORD,
        "staff_accounts": [f"{role.replace('_', '-')}-{n}@bench.example.com" for _, role, n in world.staff],
        "union_rep_accounts": [f"rep-{local}@bench.example.com" for local in world.locals],
        "payroll_keys": [key for _, _, key in world.payroll_clients],
        "ssn_key": "HUB_SSN_KEY" if setting("HUB_SSN_KEY") else "the development default (HUB_DEV_DEFAULTS=1)",
        "common_last_names": _common_last_names(urls["rosters"]),
        "sample_people": world.samples,
    }
    if options.manifest is not None:
        Path(options.manifest).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    if not options.quiet:
        _print_summary(manifest, loaders)
    return manifest


def _table_of(statement: str) -> str:
    # "CREATE [UNIQUE] INDEX name ON public.table USING ..."
    return statement.split(" ON ", 1)[1].split()[0].removeprefix("public.")


def _send(chunk: Chunk, loaders: dict) -> None:
    for (service, table), lines in chunk.lines.items():
        loaders[service].put((table, columns_of(service, table), lines))


def _check_migrated_columns(urls: dict[str, str]) -> None:
    """The migrated tables have the models' columns (a model changed without a migration would
    otherwise fail halfway through the load)."""
    for service, url in urls.items():
        connection = pg.connect(url)
        with connection.cursor() as cursor:
            migrated = pg.table_columns(cursor)
        connection.close()
        for table, columns in TABLES[service]:
            ours = set(columns) | ({SERIAL_IDS[(service, table)]} if (service, table) in SERIAL_IDS else set())
            if migrated.get(table) != ours:
                raise SystemExit(f"{service}.{table}: the migrated table has {sorted(migrated.get(table, ()))}, "
                                 f"the model {sorted(ours)}: is a migration missing?")


def _store_catalog(rosters_url: str, folder: Path) -> dict:
    """The reference catalog and the generated one, stored the way the rosters service stores
    its shipped files when it starts (sync_catalog_to_db), then read back as the service does."""
    from rosters.catalog_loader import Catalog, catalog_from_db, sync_catalog_to_db

    written = write_catalog(folder)
    reference, generated, _ = load_both(folder)
    engine = sa.create_engine(rosters_url, poolclass=sa.pool.NullPool)
    with sa.orm.Session(engine) as session:
        sync_catalog_to_db(session, reference)
        sync_catalog_to_db(session, generated)
        session.commit()
        stored = catalog_from_db(session)
    engine.dispose()
    generated_only = Catalog(generated)

    def size(catalog: Catalog) -> dict:
        return {"classifications": len(catalog.codes()), "locals": len(catalog.locals())}

    return {"folder": str(folder), "catalog": stored,
            "generated": {**size(generated_only), "files": len(written)},
            "reference": size(Catalog(reference)), "stored": size(stored),
            "generated_locals": sorted(local.code for local in generated_only.locals())}


def _common_last_names(url: str) -> list[dict]:
    """The most frequent last names, for search benchmarks that want many (or few) matches."""
    connection = pg.connect(url)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_name, count(*) FROM people GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10")
        rows = cursor.fetchall()
    connection.close()
    return [{"last_name": name, "people": n} for name, n in rows]


def _measure(urls: dict[str, str], names: dict[str, str], server: str):
    counts, table_sizes = {}, {}
    for service, url in urls.items():
        connection = pg.connect(url)
        with connection.cursor() as cursor:
            counts[service] = {}
            for table, _ in TABLES[service]:
                cursor.execute(f'SELECT count(*), pg_total_relation_size(\'"{table}"\') FROM "{table}"')
                rows, size = cursor.fetchone()
                counts[service][table] = rows
                table_sizes[f"{service}.{table}"] = round(size / 2**20, 1)
        connection.close()
    connection = pg.connect(server)
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname, pg_database_size(datname) FROM pg_database WHERE datname = ANY(%s)",
                       (list(names.values()),))
        by_name = dict(cursor.fetchall())
    connection.close()
    database_sizes = {service: round(by_name[name] / 2**20, 1) for service, name in names.items()}
    return counts, table_sizes, database_sizes


def _print_summary(manifest: dict, loaders: dict) -> None:
    print()
    print(f"{'table':42} {'rows':>12} {'COPY rows/s':>12} {'MB':>9}")
    for service, tables in manifest["counts"].items():
        for table, rows in tables.items():
            key = f"{service}.{table}"
            rate = manifest["copy_rows_per_second"].get(key)
            print(f"{key:42} {rows:>12,} {rate or 0:>12,} {manifest['table_mb'][key]:>9,.1f}")
    print(f"{'total':42} {manifest['total_rows']:>12,}")
    print()
    for service, mb in manifest["database_mb"].items():
        print(f"{service:15} {mb:>9,.1f} MB   {manifest['databases'][service]}")
    print(f"{'all':15} {sum(manifest['database_mb'].values()):>9,.1f} MB")
    print()
    print("  ".join(f"{name}: {seconds}s" for name, seconds in manifest["seconds"].items()))
    catalog = manifest["catalog"]
    print(f"catalog stored: {catalog['stored']['classifications']} classifications in {catalog['stored']['locals']} "
          f"locals ({catalog['generated']['classifications']} generated in {catalog['generated']['locals']})")
