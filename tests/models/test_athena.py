"""The Athena target without AWS: every model compiles, and the SQL parses as Athena SQL.

`dbt compile --target athena` runs offline (no cache population, no introspection, the
`offline_compile` var renders either branch of the incremental models); sqlglot's athena
dialect then parses every compiled model, and the CloudFront table macro's statements.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from webstats.core.settings import PROJECT_DIR
from webstats.ingest.parse_sql import RAW_COLUMNS
from webstats.jobs.dbt import DBT_MAIN

MODELS = sorted(p.stem for p in (PROJECT_DIR / "models").rglob("*.sql"))
# Functions that exist in DuckDB or PostgreSQL but not in Athena (Trino).
NOT_IN_ATHENA = {"regexp_match", "regexp_matches", "string_split", "strftime", "strptime"}


def compile_offline(tmp: Path, mode: str) -> Path:
    env = dict(
        os.environ,
        AWS_ACCESS_KEY_ID="offline",
        AWS_SECRET_ACCESS_KEY="offline",
        AWS_EC2_METADATA_DISABLED="true",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    target_path = tmp / f"target-{mode}"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            DBT_MAIN,
            "compile",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR / "profiles"),
            "--target",
            "athena",
            "--target-path",
            str(target_path),
            "--log-path",
            str(tmp / "logs"),
            "--no-populate-cache",
            "--no-introspect",
            "--vars",
            f"{{offline_compile: {mode}}}",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return target_path / "compiled" / "webstats" / "models"


@pytest.fixture(scope="module", params=["full", "incremental"])
def compiled(request, tmp_path_factory) -> dict:
    root = compile_offline(tmp_path_factory.mktemp("athena"), request.param)
    models = {p.stem: p.read_text() for p in root.rglob("*.sql") if p.stem in MODELS}
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


def test_cloudfront_table_macro_statements_parse():
    text = (PROJECT_DIR / "macros" / "athena" / "create_cloudfront_table.sql").read_text()
    values = {
        "{{ schema }}": "webstats",
        "{{ location }}": "s3://logs/cloudfront/",
        '{{ location.rstrip("/") }}': "s3://logs/cloudfront",
        '{{ first_day | replace("-", "/") }}': "2013/01/01",
    }
    statements = {}
    for name in ("table_sql", "view_sql"):
        body = re.search(r"{% set " + name + r" %}(.*?){% endset %}", text, re.S).group(1)
        for key, value in values.items():
            body = body.replace(key, value)
        assert "{{" not in body
        statements[name] = sqlglot.parse_one(body, read="athena")
    assert isinstance(statements["table_sql"], exp.Create)
    view = statements["view_sql"]
    assert tuple(c.alias_or_name for c in view.expression.selects) == RAW_COLUMNS
