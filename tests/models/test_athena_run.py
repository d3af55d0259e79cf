"""The Athena SQL computes the same numbers: run it, translated to DuckDB, over the legacy logs.

The project compiled for Athena offline (tests/models/conftest.py) is translated model by
model with sqlglot (Athena in, DuckDB out; no hand edits: `FIXES` below is the whole
translation step beyond sqlglot, each fix saying what sqlglot gets wrong) and run in a
DuckDB database laid out as Athena's catalog (`awsdatacatalog.webstats`), so `{{ this }}`
and every `ref` of the compiled SQL name the runner's own tables. There:

- `cloudfront_logs` holds the legacy example logs typed as the external table of
  macros/athena/create_cloudfront_table.sql types them (its DDL, parsed: all 33 columns,
  strings where Athena has strings, `date` as date; a field that does not parse as its
  column's type, or is missing from a 24-field file, is null, as Hive's text reader makes
  it), with the partition column `delivery_date` from each object's name; `raw_requests`
  is that macro's view;
- the seeds are tables typed as dbt_project.yml types them;
- each model is materialised as dbt-athena would: views and tables replaced, incremental
  models appended to (`append`) or merged into by their unique key (`merge`).

Every mart (and webstats_info) must then equal the DuckDB target's, built by the project
itself from the same logs: after a full build, and after three days added one by one. The
nightly sequence also goes the way of the nightly job (webstats/jobs/athena.py) to the
site: after each build the rows the job would unload (macros/athena/unload_tables.sql, with
the job's choice of rows) go as Parquet through S3 (moto's server) into the published
DuckDB file, which must end up with the same marts too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import jinja2
import pytest
import sqlglot
from sqlglot import exp

from webstats.core.settings import PROJECT_DIR
from webstats.ingest.s3 import S3Location
from webstats.jobs.athena import (
    EXPORTS,
    export_tables,
    publish_export,
    published_mark,
    published_versions,
)

CATALOG, SCHEMA = "awsdatacatalog", "webstats"
#: what the marts of a warehouse are read from (tests/conftest.py: Warehouse.marts)
SERVED = (
    "downloads",
    "stats",
    "categorystats",
    "hourly_downloads",
    "minute_downloads",
    "log_coverage",
    "daily_package_downloads",
    "daily_downloads",
    "package_scores",
)
#: post-hooks the runner leaves out: they delete imported legacy rows, which Athena never
#: has (stg_legacy_* are empty relations there)
SKIPPED_HOOKS = {"{{ delete_shadowed_legacy_rows() }}"}


#: sqlglot's Athena -> DuckDB translation, corrected where it is wrong: each fix a function of
#: the expression tree (for `exp.Expression.transform`) saying what it corrects. None is
#: needed with the sqlglot this suite installs: every function the models use translates
#: to a DuckDB one with the same result on these logs (the IP hash's sha256 of bytes,
#: from_hex / to_hex, split_part, regexp_like / regexp_replace, date_parse, date_add,
#: date_trunc, extract), which is what the comparisons below show.
FIXES: tuple[Callable[[exp.Expression], exp.Expression], ...] = ()


def translate(sql: str) -> str:
    """Athena SQL as DuckDB SQL: sqlglot, then FIXES."""
    tree = sqlglot.parse_one(sql, read="athena")
    for fix in FIXES:
        tree = tree.transform(fix)
    return tree.sql("duckdb")


# ----------------------------------------------------------------- the raw logs, typed


def _duckdb_columns(ddl: str) -> tuple[list[tuple[str, str]], str]:
    """(name, DuckDB type) of the external table's columns, and its partition column."""
    create = sqlglot.parse_one(ddl, read="athena")
    columns = [(c.name, c.args["kind"].sql("duckdb")) for c in create.this.expressions]
    partition = create.find(exp.PartitionedByProperty).this.expressions[0].name
    return columns, partition


@dataclass
class AthenaRunner:
    """A DuckDB database standing in for Athena's catalog, and the runs made in it."""

    path: Path
    compiled: Callable  # the athena_compiled fixture
    columns: list[tuple[str, str]]
    partition: str

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.path))
        con.execute(f"use {CATALOG}.{SCHEMA}")
        return con

    def create(self, view_ddl: str, manifest_csv: Path) -> None:
        """The empty external table, its view and the seeds."""
        with duckdb.connect(str(self.path)) as con:
            con.execute(f"create schema {SCHEMA}")
            con.execute(f"use {CATALOG}.{SCHEMA}")
            cols = ", ".join(f'"{n}" {t}' for n, t in [*self.columns, (self.partition, "text")])
            con.execute(f"create table cloudfront_logs ({cols})")
            con.execute(translate(view_ddl))
            self._seeds(con, manifest_csv)

    def _seeds(self, con: duckdb.DuckDBPyConnection, manifest_csv: Path) -> None:
        nodes = self.compiled("full").manifest["nodes"]
        seeds = PROJECT_DIR / "seeds"
        csvs = {
            "categories": seeds / "categories.csv",
            "packages": manifest_csv,
            "countries": seeds / "countries.csv",
            "edge_locations": seeds / "edge_locations.csv",
            "automation_rules": seeds / "automation_rules.csv",
        }
        for name, csv in csvs.items():
            types = nodes[f"seed.webstats.{name}"]["config"]["column_types"]
            cols = ", ".join(f"cast({c} as {t}) as {c}" for c, t in types.items())
            con.execute(
                f"create table {name} as select {cols} from read_csv(?, all_varchar=true)",
                [str(csv)],
            )

    def deliver(self, files: list[Path]) -> None:
        """Log objects arrive: their lines become rows of the external table, typed as Hive's
        text reader types them (tab-separated, two header lines, missing fields null, a
        value that does not parse as its column's type null, '\\N' null)."""
        raw = [f"c{i}" for i in range(len(self.columns))]
        spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in raw) + "}"
        typed = ", ".join(
            f"{c}::VARCHAR" if t == "TEXT" else f"try_cast({c} as {t})"
            for c, (_, t) in zip(raw, self.columns, strict=True)
        )
        day = r"regexp_replace(filename, '^.*\.(\d{4})-(\d{2})-(\d{2})-\d{2}\.[^/]*$', '\1/\2/\3')"
        with self.connect() as con:
            con.execute(
                f"insert into cloudfront_logs select {typed}, {day} from read_csv(?, "
                f"delim='\t', header=false, skip=2, quote='', escape='', nullstr='\\N', "
                f"null_padding=true, auto_detect=false, columns={spec}, filename=true)",
                [[str(f) for f in files]],
            )

    def build(self, mode: str) -> None:
        """Every model of the Athena compile in `mode`, in dependency order."""
        compiled = self.compiled(mode)
        nodes = compiled.manifest["nodes"]
        with self.connect() as con:
            for uid in _order(nodes):
                node = nodes[uid]
                hooks = {h["sql"] for h in node["config"].get("post-hook", [])}
                assert hooks <= SKIPPED_HOOKS, hooks
                _materialise(con, node, translate(compiled.sql(node)), mode)

    def unload(self, s3, prefix: S3Location, published: Path, select: Callable) -> None:
        """What the nightly job's UNLOAD statements leave in S3 after this build: each
        exported table's rows (the macro's SELECT with the job's choice of rows for the
        `published` file, translated) as a Parquet file under <prefix><table>/."""
        client = s3.client()
        mark = published_mark(published)
        versions = {} if mark is None else published_versions(published)
        with self.connect() as con:
            for t in export_tables(mark, versions):
                local = self.path.parent / f"{t['name']}.parquet"
                con.execute(f"copy ({translate(select(t['name'], t['where']))}) to '{local}'")
                key = prefix.key(t["name"], "20240211_000000_00001")
                client.put_object(Bucket=s3.bucket, Key=key, Body=local.read_bytes())

    def publish(self, s3, select: Callable, published: Path, name: str) -> None:
        """The nightly job's publication after this build: unload under exports/<name>/,
        then merge the export into the `published` file."""
        prefix = S3Location.parse(s3.url(f"exports/{name}/"))
        self.unload(s3, prefix, published, select)
        publish_export(s3.client(), prefix, published)

    def marts_warehouse(self, make: Callable) -> object:
        """The served tables copied into a DuckDB file's `main`, as a Warehouse to read."""
        w = make()
        with duckdb.connect(str(w.settings.duckdb_path)) as con:
            con.execute(f"attach '{self.path}' as {CATALOG} (read_only)")
            for table in (*SERVED, "webstats_info"):
                con.execute(f"create table {table} as select * from {CATALOG}.{SCHEMA}.{table}")
        return w


def _order(nodes: dict) -> list[str]:
    """Model ids, each after the models it depends on."""
    out: list[str] = []

    def visit(uid: str) -> None:
        if uid in out or not uid.startswith("model."):
            return
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        out.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return out


def _materialise(con: duckdb.DuckDBPyConnection, node: dict, sql: str, mode: str) -> None:
    """What dbt-athena does with a model's SELECT: a view, a table, or (incremental) the new
    rows written to a temporary table, then appended or merged by the unique key."""
    name, config = node["name"], node["config"]
    if config["materialized"] == "view":
        con.execute(f"create or replace view {name} as {sql}")
        return
    if config["materialized"] == "table" or mode == "full":
        con.execute(f"create or replace table {name} as {sql}")
        return
    con.execute(f"create or replace temp table new_rows as {sql}")
    if config["incremental_strategy"] == "merge":
        keys = ", ".join(config["unique_key"])
        con.execute(f"delete from {name} where ({keys}) in (select ({keys}) from new_rows)")
    else:
        assert config["incremental_strategy"] == "append", config
    # dbt-athena's merge: `when matched and (delete_condition) then delete`, and rows are
    # inserted only `when not matched and (insert_condition)` (its merge.sql)
    insert_where = (config.get("insert_condition") or "1 = 1").replace("src.", "")
    con.execute(f"insert into {name} by name select * from new_rows where {insert_where}")


# ------------------------------------------------------------------------------ the tests


def _files(legacy, days: tuple[str, ...] = (), before: str | None = None) -> list[Path]:
    """The legacy log objects delivered on `days`, or on every day before `before`."""
    out = []
    for f in sorted(legacy.logs.iterdir()):
        day = re.search(r"\.(\d{4}-\d{2}-\d{2})-\d{2}\.", f.name).group(1)
        if day in days or (before is not None and day < before):
            out.append(f)
    return out


@pytest.fixture(scope="module")
def runner_factory(tmp_path_factory, athena_compiled, cloudfront_ddl, legacy):
    ddl = cloudfront_ddl("s3://logs/cloudfront/")
    columns, partition = _duckdb_columns(ddl.table)

    def make() -> AthenaRunner:
        path = tmp_path_factory.mktemp("athena") / f"{CATALOG}.duckdb"
        runner = AthenaRunner(path, athena_compiled, columns, partition)
        runner.create(ddl.view, legacy.manifest)
        return runner

    return make


@pytest.fixture(scope="module")
def duckdb_marts(_legacy_built) -> dict:
    """The DuckDB target's marts of every legacy log (the suite's shared build)."""
    w, _ = _legacy_built("duckdb")
    return w.marts()


@pytest.fixture(scope="module")
def unload_select() -> Callable[[str, str], str]:
    """`unload_select(table, where)`: the SELECT of the UNLOAD statement the nightly job runs
    on Athena, rendered by Jinja from macros/athena/unload_tables.sql."""
    text = (PROJECT_DIR / "macros" / "athena" / "unload_tables.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"], undefined=jinja2.StrictUndefined)
    template = env.from_string(text + "{{ unload_select(schema, name, where) }}")
    return lambda name, where: template.render(schema=SCHEMA, name=name, where=where).strip()


def comparable(marts: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The marts without log_coverage.log_files: on Athena a log file id is its delivery day
    (docs/warehouse.md), so there it counts delivery days, not the files of a day. And
    without the client's country, which only the loader looks up (docs/dimensions.md):
    `downloads.client_country` (its last column) is left out, and `daily_downloads` is
    summed over its `country` (8th column; downloads last). Nor the client's cloud network,
    also the loader's: a download that the loader's warehouse flags `cloud:*` is flagged
    `burst` or not at all on Athena, so those three reasons (10th column) count as one;
    the user-agent reasons, decided first, stay apart."""
    daily: dict[tuple, int] = {}
    for r in marts["daily_downloads"]:
        reason = r[9]
        if reason in ("", "burst") or reason.startswith("cloud:"):
            reason = "not by agent"
        key = r[:7] + r[8:9] + (reason,) + r[10:-1]
        daily[key] = daily.get(key, 0) + int(r[-1])
    return {
        **marts,
        "log_coverage": [r[:1] + r[2:] for r in marts["log_coverage"]],
        "downloads": sorted((r[:-1] for r in marts["downloads"]), key=repr),
        "daily_downloads": sorted(daily.items(), key=repr),
    }


@pytest.fixture
def empty_duckdb(new_warehouse):
    return lambda: new_warehouse("duckdb")


def test_the_full_athena_build_gives_the_duckdb_targets_marts(
    runner_factory, legacy, duckdb_marts, empty_duckdb
):
    runner = runner_factory()
    runner.deliver(_files(legacy, before="9999"))
    runner.build("full")
    assert comparable(runner.marts_warehouse(empty_duckdb).marts()) == comparable(duckdb_marts)


def test_three_nightly_athena_builds_give_the_duckdb_targets_marts(
    runner_factory, legacy, duckdb_marts, empty_duckdb, athena_new_days, s3, unload_select
):
    runner = runner_factory()
    published = runner.path.parent / "published.duckdb"
    runner.deliver(_files(legacy, before=athena_new_days[0]))
    runner.build("full")
    runner.publish(s3, unload_select, published, "first")
    for day in athena_new_days:
        runner.deliver(_files(legacy, days=(day,)))
        runner.build("incremental")
        runner.publish(s3, unload_select, published, day)
    assert comparable(runner.marts_warehouse(empty_duckdb).marts()) == comparable(duckdb_marts)
    w = empty_duckdb()
    w.settings = replace(w.settings, duckdb_path=published)
    assert comparable(w.marts()) == comparable(duckdb_marts)


def test_a_rules_change_reaches_the_published_file_without_a_full_refresh(
    runner_factory, legacy, empty_duckdb, s3, unload_select
):
    """A new version of the likely-automation rules and no new log file: the incremental
    build recounts every day of daily_downloads (their marks unchanged), and the night's
    publication takes them whole because their version differs from the published one."""
    runner = runner_factory()
    published = runner.path.parent / "published.duckdb"
    runner.deliver(_files(legacy, before="9999"))
    runner.build("full")
    runner.publish(s3, unload_select, published, "rules-first")
    with runner.connect() as con:  # a new version: every x86_64 client counts as automation
        (version,) = con.execute("select max(rules_version) + 1 from automation_rules").fetchone()
        con.execute(
            "insert into automation_rules values (1, ?, 'user_agent', 'x86_64', 'test:x86')",
            (version,),
        )
        con.execute("update automation_rules set rules_version = ?", (version,))
    runner.build("incremental")
    runner.publish(s3, unload_select, published, "rules-second")
    athena = runner.marts_warehouse(empty_duckdb).marts()["daily_downloads"]
    w = empty_duckdb()
    w.settings = replace(w.settings, duckdb_path=published)
    served = w.marts()["daily_downloads"]
    assert served == athena
    assert {r[10] for r in served} == {f"rules {version}; burst > 20 packages in 10 min"}
    assert any(r[9] == "test:x86" for r in served)


def test_the_published_tables_are_merged_by_the_models_unique_keys(athena_compiled):
    nodes = athena_compiled("full").manifest["nodes"]
    for e in EXPORTS:
        node = nodes.get(f"model.webstats.{e.table}") or nodes[f"seed.webstats.{e.table}"]
        config = node["config"]
        if e.table == "daily_downloads":  # published by whole days (webstats/jobs/athena.py)
            assert e.keys == ("download_date",) and e.keys[0] == config["unique_key"][0]
            continue
        assert e.keys == tuple(config.get("unique_key") or ()), e.table
        if e.mode == "append":
            assert config["incremental_strategy"] == "append", e.table
