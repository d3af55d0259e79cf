"""The Athena target without AWS: every model compiles, and the SQL parses as Athena SQL.

`dbt compile --target athena` runs offline (tests/models/conftest.py: `athena_compiled`);
sqlglot's athena dialect then parses every compiled model and the CloudFront table
macro's statements. The nightly rendering reads the raw logs by partition: its filter is a
literal range on the partition column, which is what lets Athena prune.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp

from webstats.core.settings import PROJECT_DIR
from webstats.ingest.parse_sql import RAW_COLUMNS

MODELS = sorted(p.stem for p in (PROJECT_DIR / "models").rglob("*.sql"))
# Functions that exist in DuckDB or PostgreSQL but not in Athena (Trino).
NOT_IN_ATHENA = {"regexp_match", "regexp_matches", "string_split", "strftime", "strptime"}


@pytest.fixture(scope="module", params=["full", "incremental"])
def compiled(request, athena_compiled) -> dict:
    models = athena_compiled(request.param).models()
    return {"mode": request.param, "models": models}


def test_every_model_compiles_for_athena(compiled):
    assert sorted(compiled["models"]) == MODELS


@pytest.mark.parametrize("model", MODELS)
def test_compiled_model_parses_as_athena_sql(compiled, model):
    tree = sqlglot.parse_one(compiled["models"][model], read="athena")
    assert isinstance(tree, exp.Query)
    functions = {f.name.lower() for f in tree.find_all(exp.Anonymous)}
    assert not functions & NOT_IN_ATHENA, functions
    # round trip through Trino's dialect still parses (no dialect-specific leftovers)
    sqlglot.parse_one(tree.sql("trino"), read="trino")


def test_only_the_incremental_rendering_reads_the_watermark(compiled):
    stats = compiled["models"]["stats"]
    incremental = compiled["mode"] == "incremental"
    # both watermarks: downloads past the newest counted file, triples past the newest batch
    assert ("coalesce(max(source_file_id), 0) from" in stats) == incremental
    assert ("coalesce(max(ips_batch_file_id), 0) from" in stats) == incremental
    assert ('from "awsdatacatalog"."webstats"."stats"' in stats) == incremental


def _partition_bounds(sql: str) -> dict[str, str]:
    """Comparisons of the column delivery_date with a literal, as {operator: value}."""
    bounds = {}
    for cmp in sqlglot.parse_one(sql, read="athena").find_all(exp.GTE, exp.LTE, exp.GT, exp.LT):
        column, value = cmp.this, cmp.expression
        if isinstance(column, exp.Column) and column.name == "delivery_date":
            assert isinstance(value, exp.Literal) and value.is_string, cmp.sql()
            bounds[cmp.key] = value.this
    return bounds


def test_the_nightly_build_reads_only_its_delivery_days(athena_compiled):
    """The raw logs are read through stg_requests, filtered on the partition column by
    literals (the window the nightly job computes; offline it comes from vars): Athena then
    scans those days' objects only. The first build reads every day."""
    nightly = athena_compiled("incremental").models()
    assert _partition_bounds(nightly["stg_requests"]) == {"gte": "2024/02/07", "lte": "2024/02/10"}
    assert _partition_bounds(athena_compiled("full").models()["stg_requests"]) == {}
    # nothing else reads the raw source: every model over the logs goes through stg_requests
    readers = [m for m, sql in nightly.items() if '"raw_requests"' in sql]
    assert readers == ["stg_requests"]
    # and no check either: the raw source's test (of what `webstats load` wrote) is off here
    nodes = athena_compiled("incremental").manifest["nodes"].values()
    raw = "source.webstats.raw.raw_requests"
    assert [n["name"] for n in nodes if raw in n["depends_on"].get("nodes", [])] == [
        "stg_requests"
    ]


@pytest.mark.parametrize("distribution", [None, "E1TVLJONPTUXV3"])
def test_cloudfront_table_macro_statements_parse(cloudfront_ddl, distribution):
    ddl = cloudfront_ddl("s3://logs/cloudfront/", distribution)
    table = sqlglot.parse_one(ddl.table, read="athena")
    assert isinstance(table, exp.Create)
    template = "s3://logs/cloudfront/" + (f"{distribution}/" if distribution else "")
    assert f"'storage.location.template' = '{template}${{delivery_date}}/'" in ddl.table
    view = sqlglot.parse_one(ddl.view, read="athena")
    assert tuple(c.alias_or_name for c in view.expression.selects) == (
        *RAW_COLUMNS,
        "client_country",  # null: no lookup on Athena (docs/dimensions.md)
        "client_network",  # null: likewise
        "delivery_date",
    )
