"""Pipeline benchmark: load and build figures for N synthetic CloudFront lines (not a test).

    python bench/bench_pipeline.py --lines 1000000 [--repeat 3] [--pg-build]

Generates N full 33-field gzip CloudFront lines (about 80k lines a file, cached in the work
directory between runs), then measures, each step in its own process:

  reference     a bare DuckDB read_csv of the same files into a table (the machine's parse speed)
  load-duckdb   `load_paths` into a fresh DuckDB file
  load-postgres `load_paths` into a fresh Postgres schema (dropped afterwards)
  build-duckdb  full `dbt build` (seeds, models, tests) on the loaded DuckDB file
  build-postgres (with --pg-build) the same on the Postgres schema, then the extra day
                loaded into it and an incremental build
  incr-load / incr-build  load one more day's files, then `dbt build` (incremental); on
                DuckDB --incr-repeat times, each from the same copy of the fully built file
                put back at the same path (so dbt reuses its partial parse, as the nightly
                job does), with medians and the median of load + build

Peak memory is the high-water mark of the summed RSS of the step's process tree (the step
and its dbt subprocess), sampled every 50 ms with psutil. The 1-minute load average is taken
when each step ends (other work on the machine inflates the seconds). Build steps also print
dbt's per-node times: summed for models + seeds and for tests, and the slowest nodes.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

LINES_PER_FILE = 80_000
START = date(2025, 10, 1)


# ---------------------------------------------------------------- generation (cached)


def plan_for(lines: int, seed: int):
    """Days and files for N lines: up to 30 days, files of about LINES_PER_FILE lines."""
    from webstats.demo.generator import Plan

    days = min(30, max(4, lines // 250_000))
    per_file = max(1, round(lines / days / LINES_PER_FILE))
    return Plan(START, days, lines, seed, files_per_day=per_file, noisy=False)


def extra_day_plan(plan):
    """One more day after the plan, with fresh line numbers (so fresh randomness)."""
    return dataclasses.replace(
        plan,
        start=plan.start + timedelta(days=plan.days),
        days=1,
        lines=plan.lines // plan.days,
        first_line=plan.first_line + plan.lines,
    )


def ensure_logs(work: Path, plan, name: str, manifest: Path | None = None) -> tuple[Path, dict]:
    """Generate the plan's files once; later runs reuse them (a `truth.json` marks completion).

    Downloads are drawn from the packages of `manifest` (default: the project's seed)."""
    from webstats.core.seeds import manifest_path
    from webstats.demo.generator import generate, read_manifest

    out = work / name
    marker = out / "truth.json"
    if marker.exists():
        return out / "logs", json.loads(marker.read_text())
    started = time.monotonic()
    packages = read_manifest(manifest or manifest_path(PROJECT))
    truth = generate(plan, packages, out / "logs", chunk_lines=1_000_000)
    info = {
        "lines": truth.lines,
        "downloads": truth.total_downloads,
        "files": len(truth.files),
        "bytes": sum(p.stat().st_size for p in truth.files),
        "seconds": round(time.monotonic() - started, 1),
    }
    marker.write_text(json.dumps(info))
    return out / "logs", info


# ---------------------------------------------------------------- steps (child processes)


def bench_settings(target: str, db: Path, schema: str):
    from webstats.core.settings import PROJECT_DIR, Settings, pg_defaults

    pg_defaults()
    return Settings(target, db.resolve(), schema, PROJECT_DIR, "https://bioconductor.org")


def step_reference(logs: Path, db: Path) -> dict:
    """A bare read_csv of the same files into a table, typed like the loader reads them."""
    import duckdb

    from webstats.demo.generator import FIELDS_33
    from webstats.ingest.formats import CLOUDFRONT_COLUMNS

    files = sorted(str(p) for p in logs.glob("*.gz"))
    cols = ", ".join(f"'{f}': '{CLOUDFRONT_COLUMNS.get(f, ('', 'VARCHAR'))[1]}'" for f in FIELDS_33)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table ref as select * from read_csv(?, delim = '\t', header = false, "
            "skip = 2, quote = '', escape = '', auto_detect = false, compression = 'gzip', "
            f"columns = {{{cols}}})",
            [files],
        )
        (n,) = con.execute("select count(*) from ref").fetchone()
    return {"rows": n}


def step_load(target: str, logs: Path, db: Path, schema: str) -> dict:
    from webstats.ingest.loader import load_paths

    summary = load_paths(bench_settings(target, db, schema), [logs], progress=False)
    if summary.problems:
        raise SystemExit("\n".join(summary.problems))
    return {"rows": summary.loaded, "rejected": summary.rejected}


DBT_NODE_LINE = re.compile(
    r"\d+ of \d+ (?:OK|PASS|WARN|ERROR|FAIL)\b.*? (\S+) \.* *\[[^\]]*? in ([\d.]+)s\]"
)


def node_timings(output: str) -> dict:
    """Per-node seconds from dbt's build output: totals for models/seeds vs tests, the slowest."""
    nodes = [(m[1], float(m[2])) for m in DBT_NODE_LINE.finditer(output)]
    tests = [(n, s) for n, s in nodes if "." not in n]  # tests print bare names, models schema.name
    models = [(n, s) for n, s in nodes if "." in n]
    return {
        "models_s": round(sum(s for _, s in models), 1),
        "tests_s": round(sum(s for _, s in tests), 1),
        "nodes": len(nodes),
        "slowest": sorted(nodes, key=lambda x: -x[1])[:6],
    }


def step_build(target: str, db: Path, schema: str) -> dict:
    from webstats.jobs.dbt import build

    return node_timings(build(bench_settings(target, db, schema), quiet=True))


def run_step(args: argparse.Namespace) -> None:
    """Child side: run one step and print its result as JSON on the last line."""
    logs, db = Path(args.logs or "."), Path(args.db)
    if args.step == "reference":
        out = step_reference(logs, db)
    elif args.step == "load":
        out = step_load(args.target, logs, db, args.schema)
    else:
        out = step_build(args.target, db, args.schema)
    print(json.dumps(out))


# ---------------------------------------------------------------- measuring (parent)


@dataclasses.dataclass
class Measure:
    seconds: float
    peak_rss: int
    result: dict
    load_average: float = 0.0


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run_watched(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, int, float, int]:
    """Run `cmd` from the project: (stdout, exit code, wall seconds, peak RSS of its tree)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=PROJECT, env=env)
    ps = psutil.Process(proc.pid)
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                peak = max(peak, _tree_rss(ps))
            time.sleep(0.05)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    out, _ = proc.communicate()
    seconds = time.monotonic() - started
    done.set()
    t.join()
    return out, proc.returncode, seconds, peak


def measure(step: str, **kw: str) -> Measure:
    """Run a step in a child process; wall seconds and the peak RSS of its process tree."""
    cmd = [sys.executable, __file__, "--step", step]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)]
    out, code, seconds, peak = run_watched(cmd)
    if code != 0:
        raise SystemExit(f"step {step} failed (exit {code})")
    result = json.loads(out.strip().splitlines()[-1])
    return Measure(seconds, peak, result, os.getloadavg()[0])


def pg_schema_drop(schema: str) -> None:
    import psycopg

    from webstats.core.settings import pg_defaults

    pg_defaults()
    with psycopg.connect(autocommit=True) as con:
        con.execute(f'drop schema if exists "{schema}" cascade')


def median_of(runs: list[Measure]) -> Measure:
    secs = statistics.median(r.seconds for r in runs)
    load = max(r.load_average for r in runs)
    return Measure(secs, max(r.peak_rss for r in runs), runs[0].result, load)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="repeat the load steps, report medians")
    ap.add_argument(
        "--incr-repeat", type=int, default=3, help="repeat the DuckDB one-day incremental, medians"
    )
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", "/tmp/webstats-bench"))
    ap.add_argument("--pg-build", action="store_true", help="also time dbt build on Postgres")
    ap.add_argument("--no-postgres", action="store_true", help="skip the Postgres load")
    ap.add_argument("--no-build", action="store_true", help="loads only (no dbt build steps)")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--target", help=argparse.SUPPRESS)
    ap.add_argument("--logs", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--schema", default="webstats", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        run_step(args)
        return
    bench(args)


def bench(args: argparse.Namespace) -> None:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    plan = plan_for(args.lines, args.seed)
    t = time.monotonic()
    logs, info = ensure_logs(work, plan, f"n{args.lines}-s{args.seed}")
    extra, extra_info = ensure_logs(work, extra_day_plan(plan), f"n{args.lines}-s{args.seed}-extra")
    print(
        f"# {info['lines']} lines in {info['files']} files ({info['bytes'] / 1e6:.0f} MB gzip, "
        f"{plan.days} days; generated in {info['seconds']} s, ready in "
        f"{time.monotonic() - t:.1f} s); extra day: {extra_info['lines']} lines, "
        f"{extra_info['files']} files",
        flush=True,
    )
    rows: list[tuple[str, Measure, int | None]] = []
    n = info["lines"]
    with tempfile.TemporaryDirectory(dir=work, prefix="run-") as tmp:
        tmpd = Path(tmp)

        def fresh_db() -> Path:
            return tmpd / f"{uuid.uuid4().hex[:8]}.duckdb"

        # reference and load alternate, so that a busy spell on the machine hits both alike
        ref_runs, load_runs, dbs = [], [], []
        for _ in range(args.repeat):
            ref_runs.append(measure("reference", logs=logs, db=fresh_db()))
            dbs.append(fresh_db())
            load_runs.append(measure("load", target="duckdb", logs=logs, db=dbs[-1]))
        rows.append(("reference read_csv -> DuckDB table", median_of(ref_runs), n))
        report(rows[-1])
        rows.append(("load -> DuckDB", median_of(load_runs), n))
        report(rows[-1])
        if not args.no_build:
            build_rows("duckdb", dbs[0], extra, extra_info, rows, repeat=args.incr_repeat)
        if not args.no_postgres:
            pg_rows(args, logs, n, fresh_db, rows, extra, extra_info)
    print()
    print_table(rows, rows[0][1], rows[1][1])


def build_rows(
    target: str, db: Path, extra: Path, extra_info: dict, rows: list, repeat: int = 1, **kw: str
) -> None:
    """Full build on the loaded warehouse, then one more day: load + incremental build.

    The warehouse is the DuckDB file `db`, or for Postgres the schema in `kw` (the file is
    then unused). On DuckDB the day is measured `repeat` times, each time from a copy of the
    fully built file put back at the same path; a single run on this machine varies by a
    second or more.
    """
    name = {"duckdb": "DuckDB", "postgres": "Postgres"}[target]
    m = measure("build", target=target, db=db, **kw)
    rows.append((f"dbt build (full) {name}", m, None))
    report(rows[-1])
    built = db.with_name(db.name + ".built")
    if target == "duckdb":
        shutil.copyfile(db, built)
    loads, builds, totals = [], [], []
    for k in range(repeat if target == "duckdb" else 1):
        if k:
            shutil.copyfile(built, db)
        loads.append(measure("load", target=target, logs=extra, db=db, **kw))
        builds.append(measure("build", target=target, db=db, **kw))
        load, build = loads[-1], builds[-1]
        peak = max(load.peak_rss, build.peak_rss)
        totals.append(Measure(load.seconds + build.seconds, peak, {}, build.load_average))
        print(
            f"    one-day incremental run {k + 1}: load {load.seconds:.1f} s + build "
            f"{build.seconds:.1f} s = {totals[-1].seconds:.1f} s",
            flush=True,
        )
    built.unlink(missing_ok=True)
    runs = f" (median of {len(loads)})" if len(loads) > 1 else ""
    rows.append((f"one-day incremental: load {name}{runs}", median_of(loads), extra_info["lines"]))
    report(rows[-1])
    rows.append((f"one-day incremental: dbt build {name}{runs}", median_of(builds), None))
    report(rows[-1])
    if len(totals) > 1:
        rows.append((f"one-day incremental: load + build {name}{runs}", median_of(totals), None))
        report(rows[-1])


def pg_rows(args, logs: Path, n: int, fresh_db, rows: list, extra: Path, extra_info: dict) -> None:
    runs = []
    keep = None
    for k in range(args.repeat):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            runs.append(measure("load", target="postgres", logs=logs, db=fresh_db(), schema=schema))
        finally:
            if args.pg_build and not args.no_build and k == 0:
                keep = schema
            else:
                pg_schema_drop(schema)
    rows.append(("load -> Postgres", median_of(runs), n))
    report(rows[-1])
    if keep:
        try:
            build_rows("postgres", fresh_db(), extra, extra_info, rows, schema=keep)
        finally:
            pg_schema_drop(keep)


def report(row) -> None:
    name, m, lines = row
    rate = f"{lines / m.seconds:,.0f} lines/s" if lines else ""
    print(
        f"{name:54s} {m.seconds:8.1f} s  {rate:>18s}  peak {m.peak_rss / 2**20:,.0f} MiB"
        f"  (load average {m.load_average:.1f})",
        flush=True,
    )
    if "slowest" in m.result:
        r = m.result
        slowest = ", ".join(f"{n} {s:.1f}" for n, s in r["slowest"])
        print(
            f"    {r['nodes']} nodes: models+seeds {r['models_s']} s, tests {r['tests_s']} s "
            f"(summed node times); slowest: {slowest}",
            flush=True,
        )


def print_table(rows, ref: Measure, load: Measure) -> None:
    print("| step | seconds | lines/s | peak RSS (MiB) | load average |")
    print("|---|---:|---:|---:|---:|")
    for name, m, lines in rows:
        rate = f"{lines / m.seconds:,.0f}" if lines else ""
        mib = f"{m.peak_rss / 2**20:,.0f}"
        print(f"| {name} | {m.seconds:.1f} | {rate} | {mib} | {m.load_average:.1f} |")
    print(f"\nload -> DuckDB / reference read_csv: {load.seconds / ref.seconds:.2f}x the time")


if __name__ == "__main__":
    main()
