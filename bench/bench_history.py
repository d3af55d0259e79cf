"""History benchmark: the nightly refresh of one day on a warehouse holding 15 years (not a test).

    python bench/bench_history.py --engine duckdb --size 10M [--size 30M ...] [--renderer]
    python bench/bench_history.py --engine postgres --size 10M
    python bench/bench_history.py --engine duckdb --size 100M --full-refresh

Why: the pipeline benchmark (bench_pipeline.py) grows the data inside one month, so a step
whose cost grows with the history (a whole-table scan, a copy of the marts) does not show.
Here the history is synthesised directly at the level of the marts and the intermediates,
in SQL inside the engine (seconds per 10M downloads, instead of hours of log parsing):

- a copy of the dbt project whose manifest holds ~3,700 packages (the seed's 428 real ones,
  the rest named as bench/marts.py names them), split over the categories as Bioconductor is;
- an empty warehouse built by `dbt build` (so every table has the build's own columns), then
  filled for 2010-10-01 .. 2025-09-30 (one log file a day, file_id = day number):
  `downloads` (SIZE rows; daily volume growing 10x over the 15 years, package popularity
  Zipf-like, ~1/rank, client IPs drawn from a skewed pool), `int_package_requests` (the
  downloads and 1% of package-shaped requests not in the manifest), the distinct
  (period, IP) triples, `stats`, `categorystats`, `hourly_downloads`, `minute_downloads`,
  `daily_package_downloads`, `int_log_file_hours`, `log_coverage`, `load_ledger`, and
  `webstats_info` (so the checks start from the last build's mark); raw requests only for
  the last 30 days (`--raw-per-day` lines a day, the retention window); then dbt derives
  the models not synthesised (`DERIVED`) from those rows, once;
- on DuckDB, the site files as earlier nights leave them: two whole publications (the
  served file and the spare), so the measured night catches the spare up
  (webstats/core/site_file.py); the seconds of a whole publication are printed beside;
- then the nightly job proper: `webstats refresh --logs DAY` in a child process, on one more
  day of synthetic CloudFront logs (bench_pipeline.ensure_logs; 1M lines, ~250k downloads).

Printed: seconds per refresh step (its JSON lines), wall time, peak RSS of the process tree
(psutil, 50 ms), bytes written to disk by the tree (getrusage of the waited children:
`ru_oublock` x 512, i.e. /proc/<pid>/io write_bytes), the warehouse and site file sizes
before and after; on PostgreSQL also the WAL bytes the server wrote (pg_stat_wal) and the
schema's growth (the server's own RSS is not in the peak). With --renderer, then: the
production server's start-up time (until it listens), RSS, and the first view of the
software index and of the most downloaded package's page.

With --full-refresh (DuckDB), instead of the night: `webstats build --full-refresh` on the
synthesised warehouse itself (issue 18, item 3: every model derived from `downloads` rebuilt
from the 15 years; `downloads`, `int_package_requests` and `int_log_file_hours` are
`full_refresh=false` and the raw requests are kept only 30 days, so those are the history
and stay as they are). Printed: wall time, peak RSS of the process tree and of its largest
process (GNU time's maximum resident set size), bytes written, the per-node seconds
(run_results.json), the largest size DuckDB's spill directory (`<file>.tmp/`) reached. The
rebuilt tables equal the synthesised ones, so the pristine file stays a valid history (its
site file is published whole by the build).

The synthesised warehouse is kept (`<work>/history/<engine>-<size>.pristine.duckdb`), and
each run refreshes a fresh copy of it; on PostgreSQL the schema is synthesised anew each run
(`issue18b_hist_<size>`), and dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import resource
import shutil
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(BENCH))

from bench_pipeline import ensure_logs, run_watched  # noqa: E402
from loadgen import free_port, rss_mb, start_server, stop_server, timed_get  # noqa: E402
from marts import SPLIT, package_name  # noqa: E402

HISTORY_START = date(2010, 10, 1)
NIGHT = date(2025, 10, 1)  # the refreshed day; the history ends the day before
HISTORY_DAYS = (NIGHT - HISTORY_START).days
GROWTH = 10.0  # daily downloads at the end / at the start
RAW_DAYS = 30
LINES_PER_DOWNLOAD = 4  # log lines a download day counts in int_log_file_hours/log_coverage
#: a night's lines: a quarter downloads, the rest pages, HEADs and others (the CDN's traffic
#: is an order of magnitude above the downloads; the demo's mixes are mostly downloads)
NIGHT_MIX = (("download", 2500), ("head", 500), ("non_package", 7000))
SIZES = {"10M": 10_000_000, "30M": 30_000_000, "100M": 100_000_000, "1M": 1_000_000}

DIALECT = {
    "duckdb": {
        "series": "unnest(range({n}))",
        "hash": "sha256({x})",
        "secs": "to_seconds(cast({x} as bigint))",
    },
    "postgres": {
        "series": "generate_series(0, {n} - 1)",
        "hash": "encode(sha256(convert_to({x}, 'UTF8')), 'hex')",
        "secs": "make_interval(secs => {x})",
    },
}


# ------------------------------------------------------------------ the project copy


def prepare_project(work: Path) -> Path:
    """A copy of the dbt project whose manifest holds SPLIT's ~3,700 packages."""
    from webstats.core.settings import PROJECT_DIR as SOURCE
    from webstats.core.settings import copy_project

    dest = work / "project"
    manifest = dest / "seeds" / "packages.csv"
    copy_project(dest, SOURCE)  # every run: the models as they are now
    with manifest.open() as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0].keys())
    i = 0
    for category, wanted in SPLIT.items():
        have = sum(1 for r in rows if r["category"] == category)
        for _ in range(max(0, wanted - have)):
            rows.append(
                dict.fromkeys(fields, "")
                | {"package": package_name(i), "category": category, "first_version": "3.0"}
            )
            i += 1
    with manifest.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    return dest


def night_logs(work: Path, project: Path, lines: int) -> tuple[Path, dict]:
    """One day of CloudFront logs (the night's input), drawn from the project's manifest."""
    from webstats.demo.generator import Plan

    plan = Plan(
        NIGHT, 1, lines, 18, files_per_day=max(1, lines // 80_000), noisy=False, mix=NIGHT_MIX
    )
    return ensure_logs(work, plan, f"night-{lines}", manifest=project / "seeds" / "packages.csv")


def settings_for(engine: str, db: Path, schema: str, project: Path):
    from webstats.core.settings import Settings, pg_defaults

    pg_defaults()
    # PostgreSQL refuses the public development salt (docs/privacy.md)
    os.environ.setdefault("WEBSTATS_IP_SALT", "bench-history-salt-not-a-secret")
    return Settings(engine, db.resolve(), schema, project, "https://bioconductor.org")


# ------------------------------------------------------------------ synthesis (SQL)


MARKERS = {"series": ("<series:", ">>"), "hash": ("<hash:", ">>"), "secs": ("<secs:", ":secs>")}


def _sql(engine: str, text: str, **kw: object) -> str:
    """`text` with `{name}` parameters filled and the engine's SQL for the markers
    `<series:N>>` (0 .. N-1, in a select list), `<hash:X>>`, `<secs:X:secs>` (an interval)."""
    for key, val in kw.items():
        text = text.replace("{" + key + "}", str(val))
    for name, (opening, closing) in MARKERS.items():
        while opening in text:
            start = text.index(opening)
            end = text.index(closing, start)
            arg = text[start + len(opening) : end]
            text = (
                text[:start]
                + DIALECT[engine][name].format(n=arg, x=arg)
                + text[end + len(closing) :]
            )
    return text


DAYS_SQL = """
create temp table hist_days as
with d as (select i as day_no, power({growth}, i / {days}.0) as w
           from (select <series:{days}>> as i) s)
select day_no, cast(date '{start}' + cast(day_no as integer) as date) as day,
       cast(day_no + 1 as integer) as file_id,
       cast(floor({size} * w / sum(w) over ()) as integer) as n
from d
"""

PKGS_SQL = """
create temp table hist_pkgs as
select cast(row_number() over (order by md5(package)) - 1 as integer) as rk, category, package
from packages
"""

DOWNLOADS_SQL = """
insert into downloads (request_at, request_date, request_hour, period_date, ip_hash, status,
    category, package, package_version, bioc_version, download_type, edge_location, file_id)
select x.request_at, cast(x.request_at as date), cast(extract(hour from x.request_at) as integer),
       cast(x.request_at as date), <hash:'ip' || cast(x.ip_id as varchar)>>, 200,
       p.category, p.package, '1.0.0',
       '3.' || cast(cast(floor(x.day_no * 22.0 / {days}) as integer) as varchar),
       case when x.u < 0.6 then 'source' when x.u < 0.8 then 'win.binary'
            when x.u < 0.97 then 'mac.binary' else 'other' end,
       'IAD89-C1', x.file_id
from (
    select d.file_id, d.day_no,
           cast(d.day as timestamp) + <secs:floor(random() * 86400):secs> as request_at,
           cast(floor(power({packages}, random())) as integer) - 1 as rk,
           cast(floor(power({ips}, random())) as bigint) as ip_id,
           random() as u
    from (select day, day_no, file_id, <series:n>> as k from hist_days
          where day >= date '{lo}' and day < date '{hi}') d
) x
join hist_pkgs p on p.rk = x.rk
order by x.request_at
"""

COLS = (
    "request_at, request_date, request_hour, period_date, ip_hash, status, category, "
    "package, package_version, bioc_version, download_type, edge_location, file_id"
)

REQUESTS_SQL = f"""
insert into int_package_requests ({COLS}, in_manifest)
select {COLS}, true from downloads
union all
select request_at, request_date, request_hour, period_date, ip_hash, status, category,
       package || '.gone', package_version, bioc_version, download_type, edge_location,
       file_id, false
from downloads where random() < 0.01
"""

MONTH = "cast(date_trunc('month', request_date) as date)"
YEAR_END = "cast(date_trunc('year', request_date) + interval '1 year' - interval '1 day' as date)"

IPS_SQL = """
insert into {table} ({grain}, date, is_monthly, ip_hash, batch_file_id)
select * from (
    select {grain}, {month} as date, true as is_monthly, ip_hash, min(file_id) as b
    from downloads group by {grain}, {month}, ip_hash
    union all
    select {grain}, {year_end}, false, ip_hash, min(file_id)
    from downloads group by {grain}, {year_end}, ip_hash
) t order by b
"""

ROLLUP_SQL = """
insert into {table} ({grain}, date, is_monthly, ip_count, download_count, source_file_id,
                     ips_batch_file_id)
select {p_grain}, p.date, p.is_monthly, i.ip_count, p.download_count, p.source_file_id,
       i.ips_batch_file_id
from (
    select {grain}, {month} as date, true as is_monthly, count(*) as download_count,
           max(file_id) as source_file_id
    from downloads group by {grain}, {month}
    union all
    select {grain}, {year_end}, false, count(*), max(file_id)
    from downloads group by {grain}, {year_end}
) p
join (
    select {grain}, date, is_monthly, count(*) as ip_count, max(batch_file_id) as ips_batch_file_id
    from {ips} group by {grain}, date, is_monthly
) i on {join} and i.date = p.date and i.is_monthly = p.is_monthly
order by p.date
"""

MARTS_SQL = [
    """insert into hourly_downloads (hour_at, category, package, bioc_version, download_type,
           downloads, source_file_id)
       select cast(date_trunc('hour', request_at) as timestamp), category, package, bioc_version,
              download_type, count(*), max(file_id)
       from downloads group by 1, 2, 3, 4, 5 order by 1""",
    """insert into minute_downloads (minute_at, downloads, source_file_id)
       select cast(date_trunc('minute', request_at) as timestamp), count(*), max(file_id)
       from downloads group by 1 order by 1""",
    """insert into daily_package_downloads (download_date, category, package, downloads,
           distinct_ips, source_file_id)
       select request_date, category, package, count(*), count(distinct ip_hash), max(file_id)
       from downloads group by 1, 2, 3 order by 1""",
    # no download of the history is automation; the rules' label as the models write it
    # (else the first refresh would re-derive every (address, day) and recount every day)
    """insert into daily_downloads (download_date, category, package, client, r_version, os,
           arch, country, edge_country, automation_reason, automation_rules_version,
           downloads, source_file_id)
       select request_date, category, package, coalesce(client, ''), coalesce(r_version, ''),
              coalesce(os, ''), coalesce(arch, ''), coalesce(client_country, ''), '', '',
              (select 'rules ' || cast(max(rules_version) as varchar(16))
                     || '; burst > {burst_packages} packages in {burst_minutes} min'
                     from automation_rules), count(*), max(file_id)
       from downloads group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 order by 1""",
    # what decides the flags: each day's mark (no burst in the history) and the one agent
    # the synthesised requests have (none, '')
    """insert into int_automation_bursts (request_date, ip_hash, burst_window, distinct_packages,
           automation_rules_version, last_file_id)
       select request_date, '', -1, null,
              (select 'rules ' || cast(max(rules_version) as varchar(16))
                     || '; burst > {burst_packages} packages in {burst_minutes} min'
                     from automation_rules), max(file_id)
       from downloads group by 1 order by 1""",
    """insert into int_automation_agents (user_agent, rule_id, automation_reason,
           automation_rules_version, last_file_id)
       select '', null, null,
              (select 'rules ' || cast(max(rules_version) as varchar(16))
                     || '; burst > {burst_packages} packages in {burst_minutes} min'
                     from automation_rules), max(file_id)
       from downloads""",
    """insert into int_log_file_hours (file_id, hour_at, line_count, first_request_at,
           last_request_at)
       select d.file_id, cast(d.day as timestamp) + <secs:h * 3600:secs>,
              greatest(1, d.n * {lpd} / 24),
              cast(d.day as timestamp) + <secs:h * 3600 + 1:secs>,
              cast(d.day as timestamp) + <secs:h * 3600 + 3599:secs>
       from hist_days d, (select <series:24>> as h) hours order by 1, 2""",
    """insert into log_coverage (log_date, log_files, line_count, first_request_at,
           last_request_at, hours_with_requests, is_complete, source_file_id)
       select day, 1, 24 * greatest(1, n * {lpd} / 24), cast(day as timestamp) + <secs:1:secs>,
              cast(day as timestamp) + <secs:86399:secs>, 24, true, file_id
       from hist_days order by 1""",
    """insert into load_ledger (file_id, file_name, file_path, content_sha256, log_format,
           line_count, loaded_count, rejected_count, first_request_at, last_request_at,
           loaded_at, byte_count)
       select file_id, 'EHIST.' || cast(day as varchar) || '.gz',
              '/history/EHIST.' || cast(day as varchar) || '.gz',
              <hash:'history' || cast(file_id as varchar)>>, 'cloudfront',
              24 * greatest(1, n * {lpd} / 24), 24 * greatest(1, n * {lpd} / 24), 0,
              cast(day as timestamp) + <secs:1:secs>, cast(day as timestamp) + <secs:86399:secs>,
              cast(day as timestamp) + <secs:90000:secs>, 2400 * greatest(1, n * {lpd} / 24)
       from hist_days order by 1""",
    """insert into raw_requests (file_id, request_at, edge_location, client_ip, method, uri_stem,
           uri_query, status, bytes_sent, user_agent, local_date)
       select file_id, request_at, 'IAD89-C1',
              '10.' || cast(k % 250 as varchar) || '.' || cast((k / 250) % 250 as varchar) || '.7',
              'GET', case when k % 4 = 0
                  then '/packages/3.21/bioc/src/contrib/' || package || '_1.0.0.tar.gz'
                  else '/packages/3.21/bioc/html/' || package || '.html' end,
              '-', 200, 123456,
              'R (4.4.1 x86_64-pc-linux-gnu x86_64 linux-gnu)', null
       from (
           select d.file_id, cast(d.day as timestamp) + <secs:floor(random() * 86400):secs>
                      as request_at, k, p.package
           from (select day, file_id, <series:{raw_per_day}>> as k from hist_days
                 where day_no >= {days} - {raw_days}) d
           join hist_pkgs p on p.rk = cast(d.k % {packages} as integer)
       ) r order by request_at""",
    """insert into int_unknown_package_requests (package, category, requests,
           first_request_date, last_request_date, source_file_id)
       select package, category, count(*), min(request_date), max(request_date), max(file_id)
       from int_package_requests where not in_manifest group by 1, 2""",
    """insert into webstats_info (valid_thru, as_of_date, built_at, bioc_release, bioc_devel,
           checked_thru_file_id, last_file_name, last_file_loaded_at)
       select day, cast(day + 1 as date), cast(day + 1 as timestamp), '3.21', '3.22', file_id,
              'EHIST.' || cast(day as varchar) || '.gz', cast(day + 1 as timestamp)
       from hist_days where day_no = {days} - 1""",
]


def _burst_vars() -> dict[str, str]:
    """The automation burst vars of dbt_project.yml (the automation models' label)."""
    import re

    text = (PROJECT / "dbt_project.yml").read_text()
    return {
        k: re.search(rf"^\s*automation_{k}:\s*(\d+)", text, re.M).group(1)
        for k in ("burst_packages", "burst_minutes")
    }


def _statements(args: argparse.Namespace, size: int) -> list[tuple[str, str]]:
    """(label, SQL) of the synthesis, in order."""
    kw = dict(
        days=HISTORY_DAYS,
        growth=GROWTH,
        start=HISTORY_START,
        size=size,
        packages=sum(SPLIT.values()),
        ips=max(1000, size // 4),
        lpd=LINES_PER_DOWNLOAD,
        raw_per_day=args.raw_per_day,
        raw_days=RAW_DAYS,
        month=MONTH,
        year_end=YEAR_END,
        **_burst_vars(),
    )
    out = [("days", DAYS_SQL), ("packages", PKGS_SQL)]
    for year in range(HISTORY_START.year, NIGHT.year + 1):
        out.append(
            (
                f"downloads {year}",
                DOWNLOADS_SQL.replace("{lo}", f"{year}-01-01").replace("{hi}", f"{year + 1}-01-01"),
            )
        )
    out.append(("int_package_requests", REQUESTS_SQL))
    for table, grain in (
        ("int_package_period_ips", "category, package"),
        ("int_category_period_ips", "category"),
    ):
        out.append((table, IPS_SQL.replace("{table}", table).replace("{grain}", grain)))
    for table, grain, ips in (
        ("stats", "category, package", "int_package_period_ips"),
        ("categorystats", "category", "int_category_period_ips"),
    ):
        cols = grain.split(", ")
        sql = (
            ROLLUP_SQL.replace("{table}", table)
            .replace("{grain}", grain)
            .replace("{ips}", ips)
            .replace("{p_grain}", ", ".join(f"p.{c}" for c in cols))
            .replace("{join}", " and ".join(f"i.{c} = p.{c}" for c in cols))
        )
        out.append((table, sql))
    for sql in MARTS_SQL:
        out.append((sql.split()[2], sql))
    return [(label, _sql(args.engine, s, **kw)) for label, s in out]


def synthesise(args: argparse.Namespace, settings, size: int) -> dict:
    """Build the empty warehouse with dbt, then fill its history; seconds per part."""
    from webstats.core.warehouse import connect
    from webstats.jobs.dbt import build

    times = {}
    t0 = time.monotonic()
    build(settings, quiet=True)
    times["empty dbt build"] = time.monotonic() - t0
    with connect(settings) as con:
        if args.engine == "duckdb":
            con.execute("set enable_progress_bar = false")
            con.execute("set preserve_insertion_order = true")
        con.execute("select setseed(0.18)")
        for label, sql in _statements(args, size):
            t = time.monotonic()
            try:
                con.execute(sql)
            except Exception:
                print(sql, file=sys.stderr)
                raise
            times[label] = time.monotonic() - t
            print(f"    {label}: {times[label]:.1f} s", flush=True)
        if args.engine == "postgres":
            t = time.monotonic()
            con.execute("analyze")
            times["analyze"] = time.monotonic() - t
        else:
            con.execute("checkpoint")
    times |= derive(settings)
    return times


#: models the synthesis does not fill: dbt derives them from the synthesised rows once (their
#: first incremental run reads every download), so the measured night adds one day to them
DERIVED = ("int_automation_bursts", "int_automation_agents", "daily_downloads")


def derive(settings) -> dict:
    """Run the DERIVED models on a synthesised warehouse whose copies of them are empty."""
    from webstats.core.warehouse import connect
    from webstats.jobs.dbt import run_dbt

    with connect(settings) as con:
        (have,) = con.execute(f"select count(*) from {DERIVED[0]}").fetchone()
    if have:
        return {}
    t = time.monotonic()
    run_dbt(settings, ["run", "--select", *DERIVED])
    seconds = time.monotonic() - t
    print(f"    derived {', '.join(DERIVED)}: {seconds:.1f} s", flush=True)
    return {"derived": seconds}


def previous_nights(settings) -> dict:
    """The site files as the nights before left them: the served file and the spare (the
    publication before it), each published whole here; the measured night then catches the
    spare up, as every night after the first does."""
    import duckdb

    from webstats.core.site_file import publish

    out = {}
    with duckdb.connect(str(settings.duckdb_path)) as con:
        for n in (1, 2):
            done = publish(con)
            out[f"whole publication {n}"] = done["seconds"]
    print(
        f"    site file published whole: {out['whole publication 1']:.1f} s, "
        f"{done['bytes'] / 2**20:,.1f} MiB",
        flush=True,
    )
    return out


# ------------------------------------------------------------------ measuring


def run_full_refresh(settings) -> dict:
    """`webstats build --full-refresh` in a child process (under GNU time when installed):
    seconds, peak RSS (tree and largest process), writes, per-node seconds, spill peak."""
    import tempfile

    from webstats.jobs.dbt import state_dir

    env = settings.dbt_env() | {
        "WEBSTATS_PROJECT_DIR": str(settings.project_dir),
        "DBT_WRITE_JSON": "true",
    }
    cmd = [sys.executable, "-m", "webstats.cli", "build", "--full-refresh"]
    gnu_time = Path("/usr/bin/time").exists()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        if gnu_time:
            cmd = ["/usr/bin/time", "-f", "%M", "-o", timing.name, *cmd]
        spill = Path(str(settings.duckdb_path) + ".tmp")
        peak_spill = [0]
        stop = threading.Event()

        def watch_spill() -> None:
            while not stop.wait(0.5):
                with contextlib.suppress(OSError):
                    size = sum(f.stat().st_size for f in spill.iterdir())
                    peak_spill[0] = max(peak_spill[0], size)

        watcher = threading.Thread(target=watch_spill, daemon=True)
        watcher.start()
        written = _children_written()
        load = os.getloadavg()
        out, code, seconds, peak = run_watched(cmd, env)
        stop.set()
        watcher.join()
        max_rss_kb = int(timing.read().strip().splitlines()[-1] or 0) if gnu_time else 0
    if code != 0:
        print(out)
        raise SystemExit(f"build --full-refresh failed (exit {code})")
    return {
        "seconds": seconds,
        "peak_rss": peak,
        "max_process_rss": max_rss_kb * 1024,
        "written": _children_written() - written,
        "spill_peak": peak_spill[0],
        "load_before": load,
        "load_after": os.getloadavg(),
        "steps": [json.loads(line) for line in out.splitlines() if line.startswith("{")],
        "nodes": node_times(state_dir(settings) / "target" / "run_results.json"),
    }


def print_build_nodes(steps: dict, nodes: list, label: str, limit: int) -> None:
    """The build step's dbt summary line, then the `limit` slowest nodes (both reports)."""
    if "build" in steps:
        print(f"    build: {steps['build'].get('dbt', '')}", flush=True)
    print(f"    {label} (s): " + ", ".join(f"{n} {t:.1f}" for n, t in nodes[:limit]), flush=True)


def report_full_refresh(size_name: str, r: dict) -> None:
    mib = 2**20
    steps = {s["step"]: s for s in r["steps"] if "step" in s}
    parts = [
        f"{name} {steps[name].get('seconds', 0):.1f}"
        for name in ("lock", "stage", "build", "swap")
        if name in steps
    ]
    print(
        f"duckdb {size_name} build --full-refresh: {r['seconds']:.1f} s ({', '.join(parts)}); "
        f"peak RSS of the tree {r['peak_rss'] / mib:,.0f} MiB, largest process "
        f"{r['max_process_rss'] / mib:,.0f} MiB; written {r['written'] / mib:,.0f} MiB; "
        f"spill directory peak {r['spill_peak'] / mib:,.0f} MiB; load average "
        f"{r['load_before'][0]:.1f} before, {r['load_after'][0]:.1f} after",
        flush=True,
    )
    print_build_nodes(steps, r["nodes"], "nodes", 25)


def full_refresh_one(args: argparse.Namespace, size_name: str, project: Path) -> dict:
    """Synthesise (once) the DuckDB warehouse of `size_name`, then rebuild it in full."""
    print(f"## duckdb {size_name} --full-refresh", flush=True)
    hist = Path(args.work) / "history"
    hist.mkdir(parents=True, exist_ok=True)
    pristine = hist / f"duckdb-{size_name}.pristine.duckdb"
    settings = settings_for("duckdb", pristine, "main", project)
    if not pristine.exists():
        synth = synthesise(args, settings, SIZES[size_name])
        print(f"    prepared in {sum(synth.values()):.0f} s", flush=True)
    else:
        derive(settings)
    result = run_full_refresh(settings)
    report_full_refresh(size_name, result)
    return result


def _children_written() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512


def run_refresh(settings, logs: Path) -> dict:
    """`webstats refresh --logs` in a child process: its step lines, seconds, peak, writes."""
    from webstats.jobs.dbt import state_dir

    # dbt's run_results.json (per-node seconds): the job leaves it off by default
    env = settings.dbt_env() | {
        "WEBSTATS_PROJECT_DIR": str(settings.project_dir),
        "DBT_WRITE_JSON": "true",
    }
    cmd = [sys.executable, "-m", "webstats.cli", "refresh", "--logs", str(logs)]
    written = _children_written()
    dbt_log = state_dir(_built(settings)) / "logs" / "dbt.log"
    log_from = dbt_log.stat().st_size if dbt_log.exists() else 0
    now = time.localtime()  # dbt's log times are local
    started = now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec + time.time() % 1
    out, code, seconds, peak = run_watched(cmd, env)
    steps = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if code != 0:
        print(out)
        raise SystemExit(f"refresh failed (exit {code})")
    return {
        "seconds": seconds,
        "peak_rss": peak,
        "written": _children_written() - written,
        "steps": steps,
        "nodes": node_times(state_dir(_built(settings)) / "target" / "run_results.json"),
        "dbt_phases": dbt_phases(dbt_log, log_from),
        "started": started,
    }


def _built(settings):
    """The settings dbt built with: on PostgreSQL the staging schema (its own state dir)."""
    import dataclasses

    from webstats.jobs.stage import staging_schemas

    if settings.target != "postgres":
        return settings
    return dataclasses.replace(settings, pg_schema=staging_schemas(settings.pg_schema)[0])


def _log_time(line: str) -> float | None:
    """Seconds since midnight of a dbt log line's time stamp (the refresh runs minutes)."""
    stamp = re.sub(r"\x1b\[[0-9;]*m", "", line).split(" ", 1)[0]
    try:
        h, m, sec = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    except ValueError:
        return None


#: the dbt log lines that end each phase of a dbt command (its log file, at info level)
_PHASES = (
    ("start", "Running with dbt="),  # the interpreter and dbt's imports came before
    ("adapter", "Registered adapter"),
    ("parsed", "Found "),  # the project parsed (partially, unless the log says otherwise)
    ("ran", "Finished running"),  # the hooks and the nodes
)


def dbt_phases(log: Path, offset: int) -> list[dict]:
    """Per dbt command of the refresh, from dbt's log file past `offset`: the time stamps of
    its phases (seconds from the command's first line), whether it parsed the whole project,
    and the time of its last line (the end of its work; the process exits right after)."""
    if not log.exists():
        return []
    with log.open("rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    runs: list[dict] = []
    for line in lines:
        t = _log_time(line)
        if t is None:
            continue
        if "Running with dbt=" in line:
            runs.append({"t0": t, "full_parse": False, "what": "parse"})
        if not runs:
            continue
        run = runs[-1]
        for name, marker in _PHASES:
            if marker in line and name not in run:
                run[name] = t - run["t0"]
        if "Unable to do partial parsing" in line:
            run["full_parse"] = True
        if "freshness of" in line:
            run["what"] = "freshness"
        elif "START sql" in line:
            run["what"] = "build"
        run["end"] = t - run["t0"]
    return runs


def node_times(run_results: Path) -> list[tuple[str, float]]:
    """(node, seconds) of the last dbt command (the build), slowest first."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text())["results"]
    nodes = [(r["unique_id"].split(".", 2)[-1], r["execution_time"]) for r in results]
    return sorted(nodes, key=lambda n: -n[1])


def _file_sizes(settings) -> dict[str, int]:
    from webstats.core.site_file import site_path

    out = {}
    for name, path in (
        ("warehouse", settings.duckdb_path),
        ("site", site_path(settings.duckdb_path)),
    ):
        out[name] = path.stat().st_size if path.exists() else 0
    return out


def _publication(settings) -> dict:
    """The night's site publication as the build recorded it (models/audit)."""
    from webstats.core.warehouse import connect

    with connect(settings, read_only=True) as con:
        row = con.execute("select incremental, seconds, bytes from site_publication").fetchone()
    return {"incremental": row[0], "seconds": row[1], "bytes": row[2]}


def _pg_figures(settings) -> dict[str, int]:
    from webstats.core.warehouse import connect

    with connect(settings) as con:
        wal, syncs = con.execute("select wal_bytes, wal_sync from pg_stat_wal").fetchone()
        (size,) = con.execute(
            "select coalesce(sum(pg_total_relation_size(c.oid)), 0) from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            f"where n.nspname = '{settings.pg_schema}' and c.relkind in ('r', 'm')"
        ).fetchone()
    return {"wal": int(wal), "wal_syncs": int(syncs), "schema": int(size)}


def measure_renderer(settings) -> dict:
    """Start-up, RSS and first views of the production server on the refreshed warehouse."""
    port = free_port()
    t0 = time.monotonic()
    server = start_server(
        settings.duckdb_path,
        port,
        4,
        production=True,
        target=settings.target,
        schema=settings.pg_schema,
        project=settings.project_dir,
    )
    out = {"startup_s": time.monotonic() - t0, "rss_start_mb": rss_mb(server.pid)[0]}
    try:
        base = f"http://127.0.0.1:{port}/packages/stats/"
        top = _top_package(settings)
        out["index_ms"] = timed_get(base)[0]
        out["package_ms"] = timed_get(f"{base}bioc/{top}/")[0]
        out["index_again_ms"] = timed_get(base)[0]
        out["rss_mb"], out["rss_peak_mb"] = rss_mb(server.pid)
    finally:
        stop_server(server)
    return out


def _top_package(settings) -> str:
    from webstats.core.warehouse import connect

    with connect(settings) as con:
        sql = "select package from package_scores where category = 'bioc' and rank = 1"
        return con.execute(sql).fetchone()[0]


def fresh_warehouse(args: argparse.Namespace, size_name: str, project: Path):
    """Settings of a warehouse holding the history, ready to refresh; synthesis seconds."""
    hist = Path(args.work) / "history"
    hist.mkdir(parents=True, exist_ok=True)
    size = SIZES[size_name]
    if args.engine == "postgres":
        schema = f"{args.pg_prefix}_{size_name.lower()}{args.tag}"
        settings = settings_for("postgres", hist / "unused.duckdb", schema, project)
        if args.pg_template:
            return settings, _template_database(args, settings, size)
        _drop_schema(settings)
        return settings, synthesise(args, settings, size)
    pristine = hist / f"duckdb-{size_name}.pristine.duckdb"
    db = hist / f"duckdb-{size_name}.duckdb"
    times = {}
    if not pristine.exists():
        settings = settings_for("duckdb", pristine, "main", project)
        for p in (pristine, Path(str(pristine) + ".wal")):
            p.unlink(missing_ok=True)
        times = synthesise(args, settings, size)
    else:
        times = derive(settings_for("duckdb", pristine, "main", project))
    from webstats.core.site_file import site_path, spare_path

    for p in (db, site_path(db), spare_path(site_path(db))):
        p.unlink(missing_ok=True)
    shutil.copyfile(pristine, db)
    settings = settings_for("duckdb", db, "main", project)
    return settings, times | previous_nights(settings)


def _template_database(args: argparse.Namespace, settings, size: int) -> dict:
    """Synthesise the history once into the database `<schema>_pristine`, then give each run
    a fresh database cloned from it (CREATE DATABASE ... TEMPLATE: a file copy, minutes
    less than the synthesis); PGDATABASE then names the clone for this process and the job."""
    from webstats.core.warehouse import connect_server, quote_ident

    pristine, clone = f"{settings.pg_schema}_pristine", settings.pg_schema
    os.environ["PGDATABASE"] = "postgres"
    with contextlib.closing(connect_server(settings)) as con:
        con.execute("set statement_timeout = 0")
        have = con.execute("select 1 from pg_database where datname = ?", [pristine]).fetchone()
    times = {}
    if not have:
        partial = pristine + "_partial"
        with contextlib.closing(connect_server(settings)) as con:
            con.execute(f"drop database if exists {quote_ident(partial)}")
            con.execute(f"create database {quote_ident(partial)}")
        os.environ["PGDATABASE"] = partial
        times = synthesise(args, settings, size)
        os.environ["PGDATABASE"] = "postgres"
        with contextlib.closing(connect_server(settings)) as con:
            con.execute(f"alter database {quote_ident(partial)} rename to {quote_ident(pristine)}")
    with contextlib.closing(connect_server(settings)) as con:
        con.execute(f"drop database if exists {quote_ident(clone)}")
        t = time.monotonic()
        con.execute(
            f"create database {quote_ident(clone)} template {quote_ident(pristine)} "
            "strategy file_copy"
        )
        print(f"    cloned {pristine} in {time.monotonic() - t:.1f} s", flush=True)
    os.environ["PGDATABASE"] = clone
    return times


def _drop_schema(settings) -> None:
    from webstats.core.warehouse import connect_server, quote_ident
    from webstats.jobs.stage import staging_schemas

    with contextlib.closing(connect_server(settings)) as con:
        for s in (settings.pg_schema, *staging_schemas(settings.pg_schema)):
            con.execute(f"drop schema if exists {quote_ident(s)} cascade")


def bench_one(args: argparse.Namespace, size_name: str, project: Path, logs: Path) -> dict:
    """Synthesise (or copy) one warehouse, refresh it with the night, measure the renderer."""
    print(f"## {args.engine} {size_name}", flush=True)
    settings, synth = fresh_warehouse(args, size_name, project)
    if synth:
        print(f"    prepared in {sum(synth.values()):.0f} s", flush=True)
    if args.synthesise_only:
        return {}
    before = _file_sizes(settings) if args.engine == "duckdb" else _pg_figures(settings)
    result = run_refresh(settings, logs)
    after = _file_sizes(settings) if args.engine == "duckdb" else _pg_figures(settings)
    result["before"], result["after"] = before, after
    if args.engine == "duckdb":
        result["publication"] = _publication(settings)
    if args.renderer:
        result["renderer"] = measure_renderer(settings)
    if args.engine == "postgres" and not args.keep:
        _drop_schema(settings)
    report(args.engine, size_name, result)
    return result


def report(engine: str, size_name: str, r: dict) -> None:
    steps = {s["step"]: s for s in r["steps"] if "step" in s}
    parts = [
        f"{name} {steps[name].get('seconds', 0):.1f}"
        for name in ("lock", "stage", "load", "freshness", "build", "swap", "summary")
        if name in steps
    ]
    mib = 2**20
    print(
        f"{engine} {size_name}: refresh {r['seconds']:.1f} s ({', '.join(parts)}); "
        f"peak RSS {r['peak_rss'] / mib:,.0f} MiB; written by the tree "
        f"{r['written'] / mib:,.0f} MiB",
        flush=True,
    )
    b, a = r["before"], r["after"]
    if engine == "duckdb":
        print(
            f"    warehouse {b['warehouse'] / mib:,.0f} -> {a['warehouse'] / mib:,.0f} MiB; "
            f"site file {b['site'] / mib:,.1f} -> {a['site'] / mib:,.1f} MiB; "
            f"swap: {json.dumps(steps.get('swap', {}))}",
            flush=True,
        )
        p = r["publication"]
        print(
            f"    site publication: {'caught up the spare' if p['incremental'] else 'whole'}"
            f" in {p['seconds']:.1f} s, file {p['bytes'] / mib:,.1f} MiB",
            flush=True,
        )
    else:
        print(
            f"    server WAL written {(a['wal'] - b['wal']) / mib:,.0f} MiB in "
            f"{a['wal_syncs'] - b['wal_syncs']:,} syncs (whole server); schema "
            f"{b['schema'] / mib:,.0f} -> {a['schema'] / mib:,.0f} MiB; "
            f"swap: {json.dumps(steps.get('swap', {}))}",
            flush=True,
        )
    for run in r.get("dbt_phases", []):
        what = run["what"]  # in a session: parse, freshness, build; else one process each
        parsed = run.get("parsed", run["end"])  # `dbt parse` logs no "Found" line
        ran = run.get("ran", run["end"])
        adapter = run.get("adapter", 0)
        print(
            f"    dbt {what} (first line at +{run['t0'] - r['started']:.1f} s of the refresh): "
            f"step {steps.get(what, {}).get('seconds', 0):.1f} s, dbt logged "
            f"{run['end']:.1f} s: adapter {adapter:.1f}, "
            f"{'FULL' if run['full_parse'] else 'partial'} parse {parsed - adapter:.1f}, "
            f"hooks and nodes {ran - parsed:.1f}, after {run['end'] - ran:.1f}",
            flush=True,
        )
    if "build" in steps:
        print_build_nodes(steps, r["nodes"], "slowest nodes", 10)
    if "renderer" in r:
        x = r["renderer"]
        print(
            f"    renderer: start-up {x['startup_s']:.2f} s, RSS at start "
            f"{x['rss_start_mb']:.0f} MB, first index {x['index_ms']:.0f} ms, first package "
            f"page {x['package_ms']:.0f} ms, index again {x['index_again_ms']:.1f} ms, "
            f"RSS {x['rss_mb']:.0f} MB (peak {x['rss_peak_mb']:.0f})",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("duckdb", "postgres"), default="duckdb")
    ap.add_argument("--size", action="append", choices=tuple(SIZES), help="downloads (repeat)")
    ap.add_argument("--night-lines", type=int, default=1_000_000)
    ap.add_argument(
        "--raw-per-day",
        type=int,
        default=100_000,
        help="raw requests a day kept for the last 30 days",
    )
    ap.add_argument("--renderer", action="store_true", help="also measure the renderer")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    ap.add_argument("--tag", default="", help="suffix of the PostgreSQL schema's name")
    ap.add_argument("--synthesise-only", action="store_true", help="stop before the refresh")
    ap.add_argument(
        "--full-refresh",
        action="store_true",
        help="DuckDB: time `webstats build --full-refresh` on the synthesised warehouse "
        "instead of the night's refresh",
    )
    ap.add_argument("--pg-prefix", default="bench_hist", help="prefix of the schema's name")
    ap.add_argument(
        "--pg-template",
        action="store_true",
        help="keep the synthesised history in a database `<schema>_pristine` and refresh a "
        "clone of it (created per run; the synthesis runs once)",
    )
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", "/tmp/webstats-bench"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    project = prepare_project(work)
    if args.full_refresh:
        if args.engine != "duckdb":
            raise SystemExit("--full-refresh is measured on DuckDB only")
        for size_name in args.size or ["10M"]:
            full_refresh_one(args, size_name, project)
        return
    logs, info = night_logs(work, project, args.night_lines)
    print(
        f"# night {NIGHT}: {info['lines']:,} lines, {info['downloads']:,} downloads in "
        f"{info['files']} files; history {HISTORY_START} .. {NIGHT - timedelta(days=1)}; "
        f"raw requests {args.raw_per_day:,} a day for {RAW_DAYS} days",
        flush=True,
    )
    for size_name in args.size or ["10M"]:
        bench_one(args, size_name, project, logs)


if __name__ == "__main__":
    main()
