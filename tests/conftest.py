"""Fixtures of the whole suite: warehouses on DuckDB and PostgreSQL, hand-made logs, the
legacy example data.

A warehouse is an isolated DuckDB file or a fresh schema on the real PostgreSQL server
(PGHOST, default 127.0.0.1:5432). Outside CI a missing server skips the PostgreSQL cases; in
CI (CI=true) it fails them, never a skip. Tests reach everything here through fixtures:
`warehouse` (one test, each engine), `new_warehouse` (a factory, for wider scopes), `logs`
(the log builder) and `legacy` (the legacy generator's inputs and outputs).
"""

from __future__ import annotations

import bz2
import dataclasses
import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from webstats.core import warehouse as wh
from webstats.core.settings import PROJECT_DIR, Settings, copy_project, pg_defaults
from webstats.ingest.formats import CLOUDFRONT_FIELDS
from webstats.ingest.loader import LoadSummary, load_paths
from webstats.jobs.dbt import DBT_COMMAND_ENV, build

pg_defaults()

# The suite's own IP-hash secret: builds on PostgreSQL refuse the public development salt
# (docs/privacy.md). Set before any dbt process (or the dbt fork server) starts.
TEST_IP_SALT = "webstats-test-suite-secret-0123456789"
os.environ.setdefault("WEBSTATS_IP_SALT", TEST_IP_SALT)
#: the nightly job's `dbt source freshness` step is one more dbt run per refresh: off here,
#: but for the test of the step itself (tests/jobs/test_freshness.py)
os.environ.setdefault("WEBSTATS_SOURCE_FRESHNESS", "off")
os.environ.setdefault("PGCONNECT_TIMEOUT", "5")
# dbt's PostgreSQL sessions in the suite (libpq reads PGOPTIONS; webstats' own connections
# pass options of their own) commit without waiting for the WAL flush: a dbt build commits a
# few hundred times, 2-4 ms of disk wait each on this machine. Only a crash of the server
# itself could lose such a commit; what every other session sees, and when, is unchanged, and
# no test crashes the server.
if "synchronous_commit" not in os.environ.get("PGOPTIONS", ""):
    os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} -c synchronous_commit=off".strip()

DATA = Path(__file__).parent / "data"
TARGETS = ["duckdb", "postgres"]
#: load-order bookkeeping (which load and which triple batch delivered a row), not data
WATERMARK_COLUMNS = ("source_file_id", "ips_batch_file_id", "file_id")
SERVED_MARTS = (
    "stats",
    "categorystats",
    "hourly_downloads",
    "minute_downloads",
    "package_scores",
    "log_coverage",
    "daily_package_downloads",
    "daily_downloads",
)
MARTS = ("downloads", *SERVED_MARTS)
#: the Bioconductor release and devel that the test data's expectations assume
VERSIONS = {"bioc_release": "3.18", "bioc_devel": "3.19"}
VERSION_ARGS = ("--release", VERSIONS["bioc_release"], "--devel", VERSIONS["bioc_devel"])


# ------------------------------------------------------------------------- scheduling

#: session fixtures that build something expensive: their tests run on one xdist worker
#: (`--dist loadgroup`), so it is built once, not once per worker. Each builds lazily, per
#: engine, the warehouse a test asks for, so each engine's tests are a group of their own (the
#: two engines run on two workers): the engine is the tail of the test's parameter named here
#: ("postgres", "pipeline-postgres"); a test without one (it names its warehouse itself:
#: `legacy_duckdb`, `legacy_site`) goes with DuckDB's. The first fixture listed that a test
#: uses decides its group.
SHARED_BUILDS = {
    # the legacy site exported from the DuckDB legacy build (tests/jobs/test_import_legacy.py):
    # a group of its own, with a build of its own, so that the import tests (minutes) and
    # the other readers of the legacy build run on two workers
    "legacy_site": ("legacy-site", ()),
    "legacy_warehouse": ("legacy-build", ("legacy_warehouse",)),
    "_legacy_built": ("legacy-build", ()),
    "api_warehouses": ("api-warehouses", ("client", "fixture_settings", "source")),
}


def _group(item: pytest.Item) -> str | None:
    """The xdist group of a test (see `pytest_collection_modifyitems`), or None."""
    fixture = next((f for f in SHARED_BUILDS if f in item.fixturenames), None)
    if fixture is not None:
        group, named = SHARED_BUILDS[fixture]
        params = getattr(item, "callspec", None)
        params = params.params if params is not None else {}
        source = next((params[p] for p in named if p in params), "duckdb")
        return f"{group}-{str(source).rsplit('-', 1)[-1]}"
    info = item._fixtureinfo
    if not any(d.scope == "module" for ds in info.name2fixturedefs.values() for d in ds):
        return None
    # module fixtures build per engine (`module_warehouse`, or a factory per engine as in
    # test_ip_hash_migration): the tests of each engine are a group of their own, so the
    # two engines' builds run on two workers
    params = getattr(item, "callspec", None)
    params = params.params if params is not None else {}
    engines = {str(v).rsplit("-", 1)[-1] for v in params.values()} & set(TARGETS)
    module = item.nodeid.split("::")[0]
    return f"{module}@{engines.pop()}" if len(engines) == 1 else module


def _join_shared(group: str, shared: set[str]) -> str:
    """A module group (`module` or `module@engine`) whose module's other tests share one
    build (per engine) joins that build's group: its fixtures are then made on that worker."""
    engine = group.partition("@")[2]
    if engine:
        shared = {g for g in shared if g.endswith(f"-{engine}")}
    return next(iter(shared)) if len(shared) == 1 else group


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (its own hook of the same name)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the tests of an expensive shared fixture (session fixtures above, and every
    module-scoped fixture) on one worker; everything else is spread freely. A module with
    module-scoped fixtures whose other tests share one build joins that build's group
    (its fixtures are then made once, on that worker). xdist hands out the groups largest
    first, the free tests (one test each) last."""
    groups = {item.nodeid: _group(item) for item in items if hasattr(item, "_fixtureinfo")}
    shared: dict[str, set[str]] = {}
    for item in items:
        module, group = item.nodeid.split("::")[0], groups.get(item.nodeid)
        if group is not None and group.split("@")[0] != module:
            shared.setdefault(module, set()).add(group)
    for item in items:
        module, group = item.nodeid.split("::")[0], groups.get(item.nodeid)
        if group is not None and group.split("@")[0] == module:
            group = _join_shared(group, shared.get(module, set()))
        groups[item.nodeid] = group
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


# ------------------------------------------------------------------------- dbt launcher


@pytest.fixture(scope="session", autouse=True)
def dbt_imported_once() -> Iterator[None]:
    """Every dbt run of the session forks from one process that has dbt imported
    (tests/tools/dbt_forkserver.py): the same dbt command line in a process of its own,
    without three seconds of imports each time. Tests of the launcher itself, and those
    that kill a job with its dbt process, unset $WEBSTATS_DBT_COMMAND."""
    if os.environ.get(DBT_COMMAND_ENV):  # set by the caller: use theirs
        yield
        return
    tool = Path(__file__).parent / "tools" / "dbt_forkserver.py"
    sock = Path(tempfile.mkdtemp(prefix="webstats-dbt-")) / "dbt.sock"
    env = dict(os.environ, PYTHONPATH=str(PROJECT_DIR))
    server = subprocess.Popen(
        [sys.executable, str(tool), "serve", str(sock)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout.readline().strip() == "ready"
    os.environ[DBT_COMMAND_ENV] = f"{sys.executable} {tool} run {sock}"
    try:
        yield
    finally:
        del os.environ[DBT_COMMAND_ENV]
        server.kill()
        server.wait()
        shutil.rmtree(sock.parent, ignore_errors=True)


@pytest.fixture
def real_dbt_process(monkeypatch) -> None:
    """dbt started by webstats' own launcher (a child of the job), not by the fork server."""
    monkeypatch.delenv(DBT_COMMAND_ENV, raising=False)


# ----------------------------------------------------------------------------- PostgreSQL


def _server() -> wh.Connection:
    return wh.connect_server(_settings("postgres", Path(".")))


def _require_postgres() -> None:
    """Skip (locally) or fail (in CI) when PostgreSQL cannot be reached."""
    try:
        _server().close()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


def _settings(target: str, tmp: Path, schema: str | None = None) -> Settings:
    return Settings(
        target=target,
        duckdb_path=(tmp / "warehouse.duckdb").resolve(),
        pg_schema=schema or "webstats",
        project_dir=PROJECT_DIR,
        public_base_url="https://bioconductor.org",
    )


# ------------------------------------------------------------------------------ warehouses


def _norm(value: Any) -> Any:
    """A value as both engines agree on it (dates as text, Decimals as numbers)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or type(value).__name__ == "Decimal":
        return int(value) if float(value).is_integer() else float(value)
    return value


@dataclass
class Warehouse:
    """A test's warehouse: its settings, and what tests do with it."""

    settings: Settings
    tmp: Path
    summary: LoadSummary | None = None  # of the load that built it, where a fixture keeps it

    @property
    def target(self) -> str:
        return self.settings.target

    @property
    def schema(self) -> str:
        """The schema its tables are in ("main" on DuckDB)."""
        return "main" if self.target == "duckdb" else self.settings.pg_schema

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of `sql` (`?` placeholders), read-only."""
        with wh.connect(self.settings, read_only=True) as con:
            return [tuple(r) for r in con.execute(sql, params or None).fetchall()]

    def rows(self, sql: str) -> list[tuple]:
        """Rows of `sql` with values normalised across engines (for comparing engines)."""
        return [tuple(_norm(v) for v in r) for r in self.query(sql)]

    def execute(self, sql: str) -> None:
        """Run one writing statement (tests that damage a table)."""
        with wh.connect(self.settings) as con:
            con.execute(sql)

    def columns(self, table: str) -> list[str]:
        return [
            r[0]
            for r in self.query(
                "select column_name from information_schema.columns where table_name = ? "
                "and table_schema = ? order by ordinal_position",
                (table, self.schema),
            )
        ]

    def marts(self, with_stamp: bool = False, tables=MARTS) -> dict[str, list[tuple]]:
        """Every mart's rows, sorted; watermark columns left out (they follow the load
        order), and the build's dates (with its stamp on request)."""
        out = {}
        for table in tables:
            cols = [c for c in self.columns(table) if c not in WATERMARK_COLUMNS]
            out[table] = sorted(self.rows(f"select {', '.join(cols)} from {table}"), key=repr)
        stamp = ", built_at" if with_stamp else ""
        info = f"select valid_thru, as_of_date, bioc_release, bioc_devel{stamp} from webstats_info"
        out["webstats_info"] = self.rows(info)
        return out

    def served(self) -> Warehouse:
        """What the site reads: on DuckDB the file a build published, else the warehouse."""
        site = wh.served_path(self.settings)
        if site is None:
            return self
        return Warehouse(dataclasses.replace(self.settings, duckdb_path=site), self.tmp)

    def served_marts(self, with_stamp: bool = False) -> dict[str, list[tuple]]:
        """The marts as the site reads them (see `marts`)."""
        return self.served().marts(with_stamp, SERVED_MARTS)

    def with_manifest(self, manifest: Path | str) -> Warehouse:
        """This warehouse built by a private copy of the dbt project whose package manifest
        seed is `manifest` (a path, or the CSV text): the repository's seed stays untouched."""
        dest = copy_project(self.tmp / f"project-{uuid.uuid4().hex[:6]}")
        text = manifest if isinstance(manifest, str) and "\n" in manifest else None
        (dest / "seeds" / "packages.csv").write_text(text or Path(manifest).read_text())
        return Warehouse(dataclasses.replace(self.settings, project_dir=dest), self.tmp)

    def load(self, *paths: Path | str) -> LoadSummary:
        return load_paths(self.settings, [Path(p) for p in paths], progress=False)

    def build(self, dbt_vars: dict | None = None, full_refresh: bool = False) -> str:
        return build(self.settings, full_refresh=full_refresh, dbt_vars=dbt_vars)

    def load_and_build(self, *paths: Path | str, dbt_vars: dict | None = None) -> LoadSummary:
        summary = self.load(*paths)
        self.build(dbt_vars)
        return summary

    # --- the real command line, in a subprocess against this warehouse

    def cli_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            WEBSTATS_TARGET=self.target,
            WEBSTATS_DUCKDB=str(self.settings.duckdb_path),
            WEBSTATS_PG_SCHEMA=self.settings.pg_schema,
            WEBSTATS_PROJECT_DIR=str(self.settings.project_dir),
        )
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run `webstats ARGS` to its end."""
        return subprocess.run(
            [sys.executable, "-m", "webstats.cli", *args],
            env=self.cli_env(),
            capture_output=True,
            text=True,
            check=False,
        )

    def start_cli(self, *args: str) -> subprocess.Popen:
        """Start `webstats ARGS` in its own session (so a test can kill the whole group)."""
        return subprocess.Popen(
            [sys.executable, "-m", "webstats.cli", *args],
            env=self.cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def refresh(self, logs: Path, *extra: str) -> list[dict]:
        """`webstats refresh` with the test data's versions, asserting success; returns its
        JSON step records."""
        proc = self.cli("refresh", "--logs", str(logs), *VERSION_ARGS, *extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return self.json_lines(proc.stdout)

    @staticmethod
    def json_lines(stdout: str) -> list[dict]:
        """The JSON step records a job printed."""
        return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


@pytest.fixture(scope="session")
def new_warehouse(tmp_path_factory) -> Iterator[Callable[[str], Warehouse]]:
    """A factory of fresh warehouses: `new_warehouse("duckdb" | "postgres")`. Their
    PostgreSQL schemas are dropped at the end of the session (or by `drop_warehouse`)."""
    schemas: list[str] = []

    def make(target: str) -> Warehouse:
        tmp = tmp_path_factory.mktemp(target)
        if target == "duckdb":
            return Warehouse(_settings("duckdb", tmp), tmp)
        _require_postgres()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with _server() as conn:
            conn.execute(f'create schema "{schema}"')
        schemas.append(schema)
        return Warehouse(_settings("postgres", tmp, schema), tmp)

    yield make
    if schemas:
        with _server() as conn:
            for schema in schemas:
                conn.execute(f'drop schema if exists "{schema}" cascade')


def drop_warehouse(w: Warehouse) -> None:
    """Drop a PostgreSQL warehouse's schema now (its staging schemas too)."""
    if w.target == "postgres":
        with _server() as conn:
            for schema in (w.settings.pg_schema, *_staging_names(w.settings.pg_schema)):
                conn.execute(f'drop schema if exists "{schema}" cascade')


def _staging_names(schema: str) -> tuple[str, str]:
    from webstats.jobs.stage import staging_schemas

    return staging_schemas(schema)


@pytest.fixture(params=TARGETS)
def warehouse(request, new_warehouse) -> Iterator[Warehouse]:
    """A fresh, empty warehouse for one test, once on DuckDB and once on PostgreSQL."""
    w = new_warehouse(request.param)
    yield w
    drop_warehouse(w)


@pytest.fixture(scope="module", params=TARGETS)
def module_warehouse(request, new_warehouse) -> Iterator[Warehouse]:
    """A fresh warehouse shared by a module's tests (builds take seconds), each engine."""
    w = new_warehouse(request.param)
    yield w
    drop_warehouse(w)


# ------------------------------------------------------------------------------ log files


@dataclass
class Req:
    """One request of a hand-made log (CloudFront or Apache)."""

    uri: str
    ip: str = "192.0.2.1"
    method: str = "GET"
    status: int = 200
    when: str = "2024-01-15 10:00:00"
    query: str = "-"
    edge: str = "IAD89-P1"
    #: the user agent as sent (CloudFront lines URL-encode its spaces); None: R's own
    ua: str | None = None


class LogBuilder:
    """Hand-made log files: tests state exactly which requests they write, so the expected
    counts are worked out by hand."""

    Req = Req
    FIELDS = tuple(CLOUDFRONT_FIELDS)
    #: a small manifest: each category, a deprecated package (oldpkg)
    MANIFEST = (
        "package,category,first_version,last_version\n"
        "ACME,bioc,2.0,\n"
        "a4Base,bioc,3.1,\n"
        "BSgenome.Hsapiens.UCSC.hg38,annotation,3.5,\n"
        "org.Hs.eg.db,annotation,2.1,\n"
        "airway,experiment,3.0,\n"
        "rnaseqGene,workflows,3.0,\n"
        "oldpkg,bioc,2.5,3.10\n"
    )
    VERSIONS = VERSIONS

    def req(self, uri: str, **fields: Any) -> Req:
        return Req(uri, **fields)

    def cloudfront_line(self, r: Req, fields: list[str] | tuple[str, ...]) -> str:
        date, time = r.when.split(" ")
        values = {
            "date": date,
            "time": time,
            "x-edge-location": r.edge,
            "sc-bytes": "12345",
            "c-ip": r.ip,
            "cs-method": r.method,
            "cs(Host)": "d2nsi8cfpgrgm1.cloudfront.net",
            "cs-uri-stem": r.uri,
            "sc-status": str(r.status),
            "cs(User-Agent)": (
                "R%20(4.3.2%20x86_64-pc-linux-gnu)" if r.ua is None else r.ua.replace(" ", "%20")
            ),
            "cs-uri-query": r.query,
        }
        return "\t".join(values.get(f, "-") for f in fields)

    def cloudfront(self, reqs: list[Req], n_fields: int = 33, extra_lines=()) -> str:
        """A CloudFront standard log: the header for the first `n_fields` fields, then lines."""
        fields = self.FIELDS[:n_fields]
        lines = ["#Version: 1.0", "#Fields: " + " ".join(fields)]
        lines += [self.cloudfront_line(r, fields) for r in reqs]
        lines += list(extra_lines)
        return "\n".join(lines) + "\n"

    def apache(self, r: Req, combined: bool = True) -> str:
        """One Apache common (or combined) log line, in UTC."""
        t = dt.datetime.strptime(r.when, "%Y-%m-%d %H:%M:%S")
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
        target = r.uri + ("" if r.query == "-" else "?" + r.query)
        line = f'{r.ip} - - [{stamp}] "{r.method} {target} HTTP/1.1" {r.status} 1234'
        if combined:
            line += ' "-" "' + (r.ua or "R (4.3.2 x86_64-pc-linux-gnu)") + '"'
        return line

    #: the legacy generator's access_log columns and types (its stats_utils.py, in the
    #: order it created them); the status column is `errorcode` in its SQLite version
    LEGACY_COLUMNS = (
        "ips TEXT NOT NULL, day_month_year TEXT NOT NULL, month_year TEXT NOT NULL, "
        "time TEXT NOT NULL, utc_offset TEXT NOT NULL, method TEXT NOT NULL, "
        "url TEXT NOT NULL, protocol TEXT NOT NULL, {status} TEXT NOT NULL, "
        "bytes INTEGER NULL, referer TEXT NULL, user_agent TEXT NULL, "
        "biocrepo_relurl TEXT NULL, biocrepo TEXT NULL, biocversion TEXT NULL, "
        "package TEXT NULL, pkgversion TEXT NULL, pkgtype TEXT NULL"
    )

    def legacy_db(self, path: Path, rows: list[tuple], status: str = "statuscode") -> Path:
        """A legacy yearly database with `rows` (ips, day_month_year, time, utc_offset,
        method, url, protocol, status, bytes, user_agent) in access_log, filled as the
        legacy generator filled it (month_year from the local date, no referer)."""
        import sqlite3

        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path)
        con.execute(f"create table access_log ({self.LEGACY_COLUMNS.format(status=status)})")
        con.executemany(
            f"insert into access_log (ips, day_month_year, month_year, time, utc_offset, "
            f"method, url, protocol, {status}, bytes, user_agent) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], r[1].split("/", 1)[1], *r[2:]) for r in rows],
        )
        con.commit()
        con.close()
        return path

    def write(self, path: Path, text: str) -> Path:
        """Write `text`, compressed according to the file name (.gz, .bz2, else plain)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode()
        if path.name.endswith(".gz"):
            data = gzip.compress(data)
        elif path.name.endswith(".bz2"):
            data = bz2.compress(data)
        path.write_bytes(data)
        return path


@pytest.fixture(scope="session")
def logs() -> LogBuilder:
    """The log builder."""
    return LogBuilder()


# -------------------------------------------------------------------- the legacy examples


@dataclass(frozen=True)
class LegacyData:
    """Real outputs of the legacy generator for a small log set (tests/data/legacy)."""

    root: Path = DATA / "legacy"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.csv"

    @property
    def expected(self) -> Path:
        return self.root / "expected"

    #: the release and devel the expected outputs correspond to, as dbt vars and options
    dbt_vars = VERSIONS
    version_args = VERSION_ARGS

    def log_dir(self, dest: Path, *prefixes: str) -> Path:
        """A directory of symlinks to the legacy logs whose day starts with one of
        `prefixes` (call again to add more days)."""
        dest.mkdir(parents=True, exist_ok=True)
        for f in sorted(self.logs.iterdir()):
            day = f.name.split(".")[1]
            if day.startswith(prefixes) and not (dest / f.name).exists():
                (dest / f.name).symlink_to(f)
        return dest


@pytest.fixture(scope="session")
def legacy() -> LegacyData:
    return LegacyData()


@pytest.fixture(scope="session")
def _legacy_built(new_warehouse, legacy) -> Callable[[str], tuple[Warehouse, LoadSummary]]:
    built: dict[str, tuple[Warehouse, LoadSummary]] = {}

    def get(target: str) -> tuple[Warehouse, LoadSummary]:
        if target not in built:
            w = new_warehouse(target).with_manifest(legacy.manifest)
            built[target] = w, w.load_and_build(legacy.logs, dbt_vars=legacy.dbt_vars)
        return built[target]

    return get


@pytest.fixture(params=TARGETS)
def legacy_warehouse(request, _legacy_built) -> Warehouse:
    """All legacy example logs loaded and built (release 3.18, devel 3.19), once per engine
    and session: for tests that only read it. Its load summary is `.summary`."""
    w, summary = _legacy_built(request.param)
    w.summary = summary
    return w


@pytest.fixture
def legacy_duckdb(_legacy_built) -> Warehouse:
    """`legacy_warehouse` on DuckDB alone, for tests of DuckDB-only steps (the same build:
    grouped with the DuckDB half of `legacy_warehouse`'s tests)."""
    w, summary = _legacy_built("duckdb")
    w.summary = summary
    return w


# ------------------------------------------------------------------------------- local S3


@dataclass
class LocalS3:
    """A bucket of its own on the suite's moto server (S3 over HTTP on loopback), and the
    environment that points boto3 (in this process and in a `webstats` subprocess) at it."""

    endpoint: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def url(self, prefix: str = "") -> str:
        return f"s3://{self.bucket}/{prefix}"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name="us-east-1",
        )

    def keys(self, prefix: str = "") -> list[str]:
        pages = (
            self.client()
            .get_paginator("list_objects_v2")
            .paginate(Bucket=self.bucket, Prefix=prefix)
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[str]:
    """moto's S3 in server mode on a free loopback port, for the whole session."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(_moto_server, monkeypatch) -> LocalS3:
    """An empty bucket on the local S3; boto3 in this process points at it."""
    local = LocalS3(_moto_server, f"logs-{uuid.uuid4().hex[:10]}")
    for key, value in local.env.items():
        monkeypatch.setenv(key, value)
    local.client().create_bucket(Bucket=local.bucket)
    return local
