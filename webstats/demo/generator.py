"""Synthetic CloudFront standard logs, for the demo and the benchmark.

Lines are generated set-wise by DuckDB SQL (a hash of the line number and the seed stands in
for a random generator, so a seed gives the same bytes on every run and with any number of
threads); DuckDB joins each file's lines and zlib compresses them in threads. Each file gets
the `#Version`/`#Fields` header as a separate gzip member in front of the body (gzip allows
multi-member files, and both DuckDB and Python read them whole). A Python loop per line
would make 10M lines take minutes; this takes seconds.

The generator also returns its own ground truth: which lines it meant as counted downloads
(docs/rules.md), per category and month, so that tests can check the marts against something that
does not come from the models themselves.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import string
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from webstats.core.seeds import category_log_paths, manifest_rows
from webstats.ingest.formats import CLOUDFRONT_FIELDS

FIELDS_33 = list(CLOUDFRONT_FIELDS)
FIELDS_24 = FIELDS_33[:24]

CATEGORY_PATHS = category_log_paths()  # from seeds/categories.csv
COUNTED_STATUSES = (200, 301, 302, 307, 308)
DISTRIBUTION = "EDFDVBD6EXAMPLE"
GZIP_LEVEL = 4  # zlib level: CloudFront-like ratios at a fraction of level 9's time
SLOTS = 1 << 16  # resolution of the package popularity table

# (bioc version segment in the URL, R version of its binaries, weight)
BIOC_VERSIONS = (
    ("3.22", "4.5", 34),
    ("release", "4.5", 22),
    ("3.21", "4.5", 12),
    ("3.20", "4.4", 9),
    ("devel", "4.6", 6),
    ("3.23", "4.6", 4),
    ("3.19", "4.4", 5),
    ("3.18", "4.3", 4),
    ("3.17", "4.3", 2),
    ("3.16", "4.2", 2),
)
EDGES = (
    "IAD89-P1",
    "IAD61-P2",
    "IAD12-C1",
    "JFK50-P3",
    "ORD58-P4",
    "DFW56-P1",
    "SFO53-P2",
    "SEA19-C2",
    "LAX54-P1",
    "YTO50-C1",
    "GRU3-C1",
    "FRA56-P5",
    "FRA60-P2",
    "AMS58-P1",
    "LHR61-P4",
    "CDG52-P1",
    "ZRH55-P2",
    "ARN56-C1",
    "HEL51-P1",
    "MAD53-C1",
    "NRT57-P3",
    "ICN54-C1",
    "SIN2-P1",
    "HKG62-C1",
    "BOM78-P1",
    "SYD62-P1",
    "PEK50-C1",
    "JNB50-C1",
)
USER_AGENTS = (
    "R%20(4.5.1%20x86_64-pc-linux-gnu%20x86_64%20linux-gnu)",
    "R%20(4.5.0%20x86_64-w64-mingw32%20x86_64%20mingw32)",
    "R%20(4.5.1%20aarch64-apple-darwin20%20aarch64%20darwin20)",
    "R%20(4.4.2%20x86_64-pc-linux-gnu%20x86_64%20linux-gnu)",
    "R%20(4.4.1%20x86_64-apple-darwin20%20x86_64%20darwin20)",
    "R%20(4.3.3%20x86_64-w64-mingw32%20x86_64%20mingw32)",
    "RStudio%20Desktop%20(2024.12.1.563);%20R%20(4.4.2%20x86_64-w64-mingw32)",
    "libcurl/8.5.0%20r-curl/5.2.1%20httr/1.4.7",
    "curl/7.81.0",
    "Wget/1.21.2",
    "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,"
    "%20like%20Gecko)%20Chrome/126.0.0.0%20Safari/537.36",
    "Mozilla/5.0%20(compatible;%20Googlebot/2.1;%20+http://www.google.com/bot.html)",
    "Bioconductor%20Docker%20(bioconductor/bioconductor_docker:RELEASE_3_22)",
)
UNKNOWN_NAMES = (
    "DESeq3",
    "limmaa",
    "edgeR2",
    "myPackage",
    "ggplot2",
    "Seurat",
    "data.table",
    "BiocGenerics.old",
    "test",
    "Rcpp",
    "org.Hs.eg",
    "GenomicRanges2",
    "foo.bar",
    "SingleCellExperiment.dev",
    "affyX",
    "BSgenome.Hsapiens.UCSC.hg99",
    "zzzTestPkg",
)
NON_PACKAGE_PATHS = (
    "/packages/{v}/{c}/src/contrib/PACKAGES",
    "/packages/{v}/{c}/src/contrib/PACKAGES.gz",
    "/packages/{v}/{c}/src/contrib/PACKAGES.rds",
    "/packages/{v}/{c}/bin/windows/contrib/{r}/PACKAGES.rds",
    "/packages/{v}/{c}/bin/macosx/big-sur-arm64/contrib/{r}/PACKAGES.gz",
    "/packages/{v}/{c}/html/{p}.html",
    "/packages/{v}/{c}/vignettes/{p}/inst/doc/{p}.html",
    "/packages/{v}/{c}/manuals/{p}/man/{p}.pdf",
    "/packages/{v}/{c}/VIEWS",
    "/packages/{v}/{c}/src/contrib/{p}_{pv}.tar.gz.md5",
    "/packages/stats/{c}/{p}/",
    "/images/logo_bioconductor.gif",
    "/favicon.ico",
    "/config.yaml",
    "/robots.txt",
    "/index.html",
    "/checkResults/release/bioc-LATEST/",
)

# Mix of request kinds, per 10000 lines: (kind, weight). Only "download" lines with a
# counted status are downloads; all the others exist to be filtered out.
NOISY_MIX = (
    ("download", 7350),
    ("head", 450),
    ("non_package", 1800),
    ("unknown", 180),
    ("wrong_category", 120),
    ("post", 40),
    ("malformed", 4),
    ("bad_status", 56),
)
CLEAN_MIX = (("download", 7800), ("head", 300), ("non_package", 1900))
# Share of a day's requests per UTC hour (00..23): one cycle a day, lowest while the
# Americas sleep and Europe has not started (04-05 UTC), highest when both work (14-15 UTC);
# never empty, as the CDN is used around the world.
HOURLY_SHAPE = (
    3.4, 3.0, 2.6, 2.3, 2.1, 2.1, 2.4, 3.0, 3.8, 4.4, 4.8, 5.0,
    5.3, 5.8, 6.2, 6.3, 6.0, 5.5, 5.0, 4.6, 4.3, 4.1, 3.9, 3.7,
)  # fmt: skip


@dataclass(frozen=True)
class Package:
    name: str
    category: str


@dataclass
class Plan:
    """What to generate: `lines` lines over `days` days from `start`, `files_per_day` files a day.

    Files dated before `old_header_before` get the 24-field header of older CloudFront logs;
    `noisy` adds malformed lines, POSTs, odd statuses, unknown and miscategorised packages.
    """

    start: date
    days: int
    lines: int
    seed: int
    files_per_day: int = 8
    old_header_before: date | None = None
    noisy: bool = True
    first_line: int = 0  # line numbering offset, so that extra days draw fresh randomness
    #: the kinds of line and their weights, instead of CLEAN_MIX / NOISY_MIX (e.g. a day
    #: where downloads are a quarter of the traffic, as on the real CDN)
    mix: tuple[tuple[str, int], ...] | None = None


@dataclass
class GroundTruth:
    """What the generator wrote, counted as the download rule counts it (docs/rules.md)."""

    files: list[Path] = field(default_factory=list)
    lines: int = 0
    malformed: int = 0
    downloads: dict[str, int] = field(default_factory=dict)  # per category
    monthly: dict[tuple[str, date], int] = field(default_factory=dict)  # (category, month)
    unknown_requests: int = 0

    @property
    def total_downloads(self) -> int:
        return sum(self.downloads.values())

    def add(self, other: GroundTruth) -> None:
        self.files += other.files
        self.lines += other.lines
        self.malformed += other.malformed
        self.unknown_requests += other.unknown_requests
        for k, n in other.downloads.items():
            self.downloads[k] = self.downloads.get(k, 0) + n
        for k, n in other.monthly.items():
            self.monthly[k] = self.monthly.get(k, 0) + n


def read_manifest(path: Path) -> list[Package]:
    """Current packages of the manifest seed (the demo draws downloads from these)."""
    return [Package(r["package"], r["category"]) for r in manifest_rows(path)]


def _sql_list(values: Iterable[object]) -> str:
    def lit(v: object) -> str:
        return "'" + str(v).replace("'", "''") + "'" if isinstance(v, str) else str(v)

    return "[" + ", ".join(lit(v) for v in values) + "]"


def _popularity_table(con: duckdb.DuckDBPyConnection, packages: list[Package], seed: int) -> None:
    """`syn_slots(slot, package, category)`: Zipf-like popularity as slots of a wheel.

    Ranks are a seeded shuffle of the manifest, so each seed has its own favourites; every
    package keeps at least one slot, so every package can appear.
    """
    ranked = sorted(packages, key=lambda p: hashlib.sha256(f"{seed}:{p.name}".encode()).hexdigest())
    weights = [1.0 / (r + 1) ** 1.1 for r in range(len(ranked))]
    total = sum(weights)
    spare = SLOTS - len(ranked)
    widths = [1 + int(spare * w / total) for w in weights]
    widths[0] += SLOTS - sum(widths)  # the rounding remainder goes to the favourite
    rows, lo = [], 0
    for p, width in zip(ranked, widths, strict=True):
        rows.append((p.name, p.category, lo, lo + width - 1))
        lo += width
    con.execute(
        "create or replace temp table syn_pkgs (package varchar, category varchar, "
        "lo integer, hi integer)"
    )
    con.executemany("insert into syn_pkgs values (?, ?, ?, ?)", rows)
    con.execute(
        "create or replace temp table syn_slots as select s.range::integer as slot, "
        "p.package, p.category from range(?) s join syn_pkgs p on s.range between p.lo and p.hi",
        [SLOTS],
    )


def _mix_case(mix: tuple[tuple[str, int], ...], u: str) -> str:
    total = sum(w for _, w in mix)
    parts, acc = [], 0
    for kind, w in mix[:-1]:
        acc += w
        parts.append(f"when {u} < {acc / total!r} then '{kind}'")
    return "case " + " ".join(parts) + f" else '{mix[-1][0]}' end"


def _weighted(values: tuple[tuple[str, str, int], ...], u: str, index: int) -> str:
    total = sum(v[2] for v in values)
    parts, acc = [], 0
    for v in values[:-1]:
        acc += v[2]
        parts.append(f"when {u} < {acc / total!r} then '{v[index]}'")
    return "case " + " ".join(parts) + f" else '{values[-1][index]}' end"


def _hour_case(u: str) -> str:
    """The UTC hour drawn from the uniform `u` with the weights of HOURLY_SHAPE."""
    total = sum(HOURLY_SHAPE)
    parts, acc = [], 0.0
    for hour, weight in enumerate(HOURLY_SHAPE[:-1]):
        acc += weight
        parts.append(f"when {u} < {acc / total!r} then {hour}")
    return "case " + " ".join(parts) + f" else {len(HOURLY_SHAPE) - 1} end"


def _u(h: str, k: int) -> str:
    """A uniform number in [0, 1) from 20 bits of a 64-bit hash."""
    return f"((({h} >> {20 * k}) & 1048575)::double / 1048576)"


SQL_DIR = Path(__file__).parent / "sql"
#: the steps that make `syn_lines`, in order; each file is one `create temp table`
STEPS = ("draws", "requests", "urls", "lines")


def _template_values(plan: Plan, lo: int, hi: int) -> dict[str, object]:
    """What the SQL files' `${name}` placeholders stand for, for lines lo..hi-1."""
    mix = plan.mix or (NOISY_MIX if plan.noisy else CLEAN_MIX)
    s = plan.seed
    draws = {f"u_{h}_{k}": _u(h, k) for h in ("h1", "h2", "h3") for k in range(3)}
    r_versions = " ".join(f"when '{v}' then '{rv}'" for v, rv, _ in BIOC_VERSIONS)
    return {
        **draws,
        "seed": s,
        "lo": lo,
        "hi": hi,
        "lines": plan.lines,
        "slots": SLOTS,
        "hour_case": _hour_case(_u(f"hash(i * 64 + 4, {s})", 0)),
        "u_second": _u(f"hash(i * 64 + 4, {s})", 1),
        "kind_case": _mix_case(mix, draws["u_h1_0"]),
        "bioc_version_case": _weighted(BIOC_VERSIONS, draws["u_h1_2"], 0),
        "r_version_case": f"case bioc_version {r_versions} end",
        "cats": _sql_list(CATEGORY_PATHS.values()),
        "cat_names": _sql_list(CATEGORY_PATHS),
        "unknown": _sql_list(UNKNOWN_NAMES),
        "unknown_count": len(UNKNOWN_NAMES),
        "paths": _sql_list(NON_PACKAGE_PATHS),
        "path_count": len(NON_PACKAGE_PATHS),
        "edges": _sql_list(EDGES),
        "edge_count": len(EDGES),
        "agents": _sql_list(USER_AGENTS),
        "agent_count": len(USER_AGENTS),
        "old": f"date '{plan.old_header_before or '1900-01-01'}'",
        "start": plan.start,
        "files_per_day": plan.files_per_day,
        "counted_statuses": COUNTED_STATUSES,
    }


def generate_table(con: duckdb.DuckDBPyConnection, plan: Plan, lo: int, hi: int) -> None:
    """Create `syn_lines(file_no, ts, line, kind, counted, category)` for lines lo..hi-1.

    `syn_days` says which day each line number falls on; `syn_slots` which package it is.
    The SQL of each step is a file in `sql/` with `${name}` placeholders.
    """
    values = _template_values(plan, lo, hi)
    for name in STEPS:
        template = string.Template((SQL_DIR / f"{name}.sql").read_text())
        con.execute(template.substitute(values))
    for table in ("syn_draws", "syn_req", "syn_url"):  # free the intermediate steps
        con.execute(f"drop table {table}")


def file_name(plan: Plan, file_no: int) -> str:
    """`<distribution>.YYYY-MM-DD-HH.<hash>.gz`, as CloudFront names its log files."""
    day = plan.start + timedelta(days=file_no // plan.files_per_day)
    hour = (file_no % plan.files_per_day) * 24 // plan.files_per_day
    tag = hashlib.sha256(f"{plan.seed}:{plan.first_line}:{file_no}".encode()).hexdigest()[:8]
    return f"{DISTRIBUTION}.{day:%Y-%m-%d}-{hour:02d}.{tag}.gz"


def header(old: bool) -> bytes:
    fields = FIELDS_24 if old else FIELDS_33
    return f"#Version: 1.0\n#Fields: {' '.join(fields)}\n".encode()


FETCH_LINES = 400_000  # lines fetched from DuckDB at a time for writing (bounds memory)


def write_files(con: duckdb.DuckDBPyConnection, plan: Plan, out_dir: Path) -> list[Path]:
    """Write one gzip file per `file_no` of `syn_lines`: a header member, then the body.

    DuckDB joins each file's lines into one string; zlib compresses in threads (it releases
    the GIL, so both cores work). Files already present with the right name are kept
    (generation is deterministic), so a cache of generated logs survives between runs.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = con.execute(
        "select file_no, bool_or(old_header), count(*) from syn_lines group by file_no "
        "order by file_no"
    ).fetchall()
    paths = {no: out_dir / file_name(plan, no) for no, _, _ in files}
    old = {no: bool(o) for no, o, _ in files}
    group: list[int] = []
    size = 0
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for no, _, n in files:
            if paths[no].exists():
                continue
            group.append(no)
            size += n
            if size >= FETCH_LINES:
                list(pool.map(_publish, *_bodies(con, group, paths, old)))
                group, size = [], 0
        if group:
            list(pool.map(_publish, *_bodies(con, group, paths, old)))
    return list(paths.values())


def _bodies(
    con: duckdb.DuckDBPyConnection, numbers: list[int], paths: dict[int, Path], old: dict
) -> tuple[list[Path], list[bytes], list[bytes]]:
    """(final paths, header bytes, body text) of the given files, from one query."""
    rows = con.execute(
        "select file_no, string_agg(line, chr(10) order by ts, i) || chr(10) from syn_lines "
        f"where file_no in ({', '.join(map(str, numbers))}) group by file_no"
    ).fetchall()
    return (
        [paths[no] for no, _ in rows],
        [header(old[no]) for no, _ in rows],
        [body.encode() for _, body in rows],
    )


def _publish(final: Path, head: bytes, body: bytes) -> None:
    """Compress and write to a hidden name, then rename: a half-written file never has the
    final name. The header is its own gzip member, as if prepended to a finished log."""
    partial = final.with_name(f".{final.name}.part")
    with open(partial, "wb") as fh:
        fh.write(gzip.compress(head, mtime=0))
        fh.write(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
    os.replace(partial, final)


def ground_truth(con: duckdb.DuckDBPyConnection, files: list[Path]) -> GroundTruth:
    """The generator's own account of what it wrote (from `syn_lines`, not from the logs)."""
    truth = GroundTruth(files=files)
    truth.lines, truth.malformed, truth.unknown_requests = con.execute(
        "select count(*), count(*) filter (kind = 'malformed'), "
        "count(*) filter (kind in ('unknown', 'wrong_category') and status in "
        f"{COUNTED_STATUSES}) from syn_lines"
    ).fetchone()
    for category, month, n in con.execute(
        "select category, date_trunc('month', ts)::date, count(*) from syn_lines "
        "where counted group by all order by all"
    ).fetchall():
        truth.monthly[(category, month)] = n
        truth.downloads[category] = truth.downloads.get(category, 0) + n
    return truth


def day_lines(plan: Plan) -> list[tuple[date, int]]:
    """Lines per day: weekends see about 60% of a weekday's traffic, with a slow growth."""
    weights = []
    for k in range(plan.days):
        day = plan.start + timedelta(days=k)
        weights.append((0.6 if day.weekday() >= 5 else 1.0) * (1 + 0.15 * k / max(plan.days, 1)))
    total = sum(weights)
    counts = [int(plan.lines * w / total) for w in weights]
    for k in range(plan.lines - sum(counts)):  # hand out the rounding remainder
        counts[k % plan.days] += 1
    return [(plan.start + timedelta(days=k), n) for k, n in enumerate(counts)]


def _chunks(days: list[tuple[date, int]], first_line: int, max_lines: int):
    """Consecutive days grouped into chunks of at most `max_lines` lines (one day at least)."""
    chunk: list[tuple[date, int, int]] = []
    lo = first_line
    size = 0
    for day, n in days:
        if chunk and size + n > max_lines:
            yield chunk
            chunk, size = [], 0
        chunk.append((day, lo, lo + n - 1))
        lo += n
        size += n
    if chunk:
        yield chunk


def generate(
    plan: Plan,
    packages: list[Package],
    out_dir: Path,
    chunk_lines: int = 2_000_000,
    con: duckdb.DuckDBPyConnection | None = None,
) -> GroundTruth:
    """Generate the plan's logs into `out_dir` and return the ground truth.

    Days are generated in chunks of about `chunk_lines` lines so that memory stays bounded
    whatever the total.
    """
    own = con is None
    con = con or duckdb.connect()
    con.execute("set enable_progress_bar = false")
    truth = GroundTruth()
    try:
        _popularity_table(con, packages, plan.seed)
        for chunk in _chunks(day_lines(plan), plan.first_line, chunk_lines):
            con.execute("create or replace temp table syn_days (day date, lo bigint, hi bigint)")
            con.executemany("insert into syn_days values (?, ?, ?)", chunk)
            generate_table(con, plan, chunk[0][1], chunk[-1][2] + 1)
            files = write_files(con, plan, out_dir)
            truth.add(ground_truth(con, files))
        return truth
    finally:
        if own:
            con.close()
