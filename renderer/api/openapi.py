"""The OpenAPI 3.0 description of /api/, served at /api/openapi.json.

Kept as Python data next to the views (not a hand-edited JSON file) so that the allow-lists
it advertises are the very tuples the views validate against; a test drives the app from this
document with schemathesis, so a drift between the two fails CI.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from renderer.api import queries as q
from renderer.api.cranlogs import DAILY_CELLS_MAX, DAILY_MAX_MONTHS, POST_MAX
from renderer.api.params import (
    BULK_MAX,
    DATE_PATTERN,
    FILTER_PATTERNS,
    GET_DATA_MAX_GROUPS,
    GET_DATA_TIME_GROUPS,
    GLOBAL_SUM_TIME_GROUPS,
    MAX_DATE,
    MIN_DATE,
    PACKAGE_RE,
    PERIOD_MAX_MONTHS,
    RANGE_MAX_MONTHS,
    TOP_MAX,
    zone_names,
)
from renderer.badges import KINDS as BADGE_KINDS

# Real calendar days only (2024-02-29 yes, 2023-02-29 and 0562-32-76 no), MIN_DATE..MAX_DATE.
DATE = DATE_PATTERN
PERIOD_PATTERN = f"^(last-day|last-week|last-month|last-year|{DATE}:{DATE})$"
# What no pattern can say: the two ends of a period, compared.
PERIOD_RULES = (
    "An explicit period's start may not be after its end, and it may not reach {months} months "
    "past its start (400 otherwise)."
)


NAME = PACKAGE_RE.pattern


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid, empty, repeated or missing parameter, or a period longer than allowed.",
        404: "Unknown package.",
        503: "The statistics are not available (no build yet, or the database is down).",
    }
    return {str(c): _json(_ref("Error"), text[c]) for c in (*codes, 503)}


def _ok(schema: dict[str, Any], description: str) -> dict[str, Any]:
    ok = _json(schema, description)
    ok["headers"] = {
        "ETag": {"schema": {"type": "string"}, "description": "Changes with the content."},
        "Last-Modified": {"schema": {"type": "string"}, "description": "The as-of day, 00:00 GMT."},
        "Access-Control-Allow-Origin": {"schema": {"type": "string", "enum": ["*"]}},
    }
    return {"200": ok, "304": {"description": "Not modified (conditional GET)."}}


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


def _path(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


MODEL = _query("model", {"type": "string", "enum": list(q.MODELS)}, "Data model.", required=True)
COLUMN = {"type": "string", "enum": list(q.GROUP_COLUMNS)}
#: the filters by the client's dimensions (countries by ISO code) and `filter=people|all`;
#: in get_data, with any of them, or grouped by one, bioc_version and download_type are not
#: available (400)
FILTER_TEXT = {
    "filter": "`people`: leave out the downloads flagged as likely automation (CI systems, "
    "crawlers, bursts; docs/rules.md, likely automation). `all` (the default): every download.",
}
FILTERS = [
    _query(
        name,
        {"type": "string", "pattern": f"^({pattern})$"},
        FILTER_TEXT.get(name, f"Only downloads with this {name}."),
    )
    for name, pattern in FILTER_PATTERNS.items()
]


def _period(max_months: int) -> dict[str, Any]:
    return _path(
        "period",
        {"type": "string", "pattern": PERIOD_PATTERN},
        "`last-day`, `last-week` (7 days), `last-month` (30 days), `last-year` (365 days), each "
        "ending at the last day of loaded data (`valid_thru`), or `YYYY-MM-DD:YYYY-MM-DD` "
        f"(inclusive, UTC days from {MIN_DATE} to {MAX_DATE}). "
        + PERIOD_RULES.format(months=max_months),
    )


PERIOD = _period(PERIOD_MAX_MONTHS)
RANGE_PERIOD = _period(RANGE_MAX_MONTHS)
CRAN_PERIOD = _path(
    "period",
    {"type": "string", "pattern": f"^(last-day|last-week|last-month|last-year|{DATE}(:{DATE})?)$"},
    "As for the other per-package endpoints, or one day `YYYY-MM-DD` (as cranlogs). "
    + PERIOD_RULES.format(months=f"{DAILY_MAX_MONTHS} (daily) or {PERIOD_MAX_MONTHS} (total)"),
)
PACKAGES = _path(
    "packages",
    {"type": "string", "pattern": rf"^{NAME}(,{NAME})*$"},
    f"One package name, or up to {BULK_MAX} comma-separated names (bulk: an object keyed by name, "
    "`null` for unknown names).",
)

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string"}},
        "additionalProperties": False,
    },
    "GroupValue": {
        "type": "string",
        "nullable": True,
        "description": "A value of the grouping column; null when unknown. `country` and "
        "`edge_country` are English country names.",
    },
    "DataEntry": {
        "type": "object",
        "description": "Without second_group_by: `{<group_by>: value, data: n[, time_group]}`. "
        "With it: `{<group_by>: value, <second_group_by>: [values], data: [counts]"
        "[, time_group]}` with parallel lists.",
        "required": ["data"],
        "properties": {
            "data": {
                "oneOf": [
                    {"type": "integer", "minimum": 0},
                    {"type": "array", "items": {"type": "integer", "minimum": 0}},
                ]
            },
            "time_group": {"type": "string", "pattern": r"^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$"},
            **{
                col: {
                    "oneOf": [
                        _ref("GroupValue"),
                        {"type": "array", "items": _ref("GroupValue")},
                    ]
                }
                for col in q.GROUP_COLUMNS
            },
        },
        "additionalProperties": False,
    },
    "Breakdown": {
        "type": "object",
        "required": ["package", "start", "end", "by", "breakdown"],
        "properties": {
            "package": {"type": "string"},
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "by": {"type": "string", "enum": list(q.DIMENSIONS)},
            "breakdown": {
                "type": "array",
                "description": "Most downloaded first; `value` null for unknown; countries "
                "by English name.",
                "items": {
                    "type": "object",
                    "required": ["value", "downloads"],
                    "properties": {
                        "value": {"type": "string", "nullable": True},
                        "downloads": {"type": "integer", "minimum": 0},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
    "GlobalSum": {
        "type": "object",
        "required": ["total_sum", "time_group"],
        "properties": {
            "total_sum": {"type": "integer", "minimum": 0},
            "time_group": {
                "type": "string",
                "pattern": r"^[0-9]{4}(-[0-9]{2}-[0-9]{2}( [0-9]{2}:00)?)?$",
            },
        },
        "additionalProperties": False,
    },
    "HourCount": {
        "type": "object",
        "required": ["hour", "total_primary"],
        "properties": {
            "hour": {"type": "integer", "minimum": 1, "maximum": 24},
            "total_primary": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    "MonthStat": {
        "type": "object",
        "required": ["month", "downloads", "distinct_ips"],
        "properties": {
            "month": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}$"},
            "downloads": {"type": "integer", "minimum": 0},
            "distinct_ips": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    "Point": {
        "type": "object",
        "required": ["package", "start", "end", "downloads"],
        "properties": {
            "package": {"type": "string"},
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "downloads": {"type": "integer", "minimum": 0},
            "months": {
                "type": "array",
                "items": _ref("MonthStat"),
                "description": "Present when the period is whole calendar months (from `stats`, "
                "every download) and no filter is given.",
            },
            "distinct_ips": {
                "type": "integer",
                "minimum": 0,
                "description": "Present when the period is exactly one calendar month or one "
                "calendar year and no filter is given: the distinct client IPs of that period.",
            },
        },
        "additionalProperties": False,
    },
    "Range": {
        "type": "object",
        "required": ["package", "start", "end", "downloads"],
        "properties": {
            "package": {"type": "string"},
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "downloads": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["day", "downloads"],
                    "properties": {
                        "day": {"type": "string", "format": "date"},
                        "downloads": {
                            "type": "integer",
                            "minimum": 0,
                            "nullable": True,
                            "description": "null on a day without loaded logs (no row in "
                            "log_coverage): its count is unknown, not 0.",
                        },
                    },
                    "additionalProperties": False,
                },
            },
            "months": {
                "type": "array",
                "items": _ref("MonthStat"),
                "description": "Present when the period is whole calendar months and no filter "
                "is given.",
            },
        },
        "additionalProperties": False,
    },
    "Top": {
        "type": "object",
        "required": ["start", "end", "category", "packages"],
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "category": {"type": "string", "nullable": True},
            "packages": {
                "type": "array",
                "maxItems": TOP_MAX,
                "items": {
                    "type": "object",
                    "required": ["rank", "package", "category", "downloads"],
                    "properties": {
                        "rank": {"type": "integer", "minimum": 1},
                        "package": {"type": "string"},
                        "category": {"type": "string"},
                        "downloads": {"type": "integer", "minimum": 0},
                    },
                    "additionalProperties": False,
                },
            },
            "downloads": {
                "type": "array",
                "description": "The same list as cranlogs gives it.",
                "items": {
                    "type": "object",
                    "required": ["package", "downloads"],
                    "properties": {
                        "package": {"type": "string"},
                        "downloads": {"type": "integer", "minimum": 0},
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
    "CranDaily": {
        "type": "object",
        "required": ["start", "end", "downloads"],
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "package": {"type": "string", "description": "Absent for all packages."},
            "downloads": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["day", "downloads"],
                    "properties": {
                        "day": {"type": "string", "format": "date"},
                        "downloads": {
                            "type": "integer",
                            "minimum": 0,
                            "nullable": True,
                            "description": "null: no logs loaded for that day.",
                        },
                    },
                    "additionalProperties": False,
                },
            },
        },
        "additionalProperties": False,
    },
    "Status": {
        "type": "object",
        "required": [
            "valid_thru",
            "as_of_date",
            "built_at",
            "last_log_file",
            "days_without_logs",
            "incomplete_days",
            "days_without_downloads",
            "last_run",
        ],
        "properties": {
            "valid_thru": {"type": "string", "format": "date"},
            "as_of_date": {"type": "string", "format": "date"},
            "built_at": {"type": "string", "format": "date-time"},
            "bioc_release": {"type": "string"},
            "bioc_devel": {"type": "string"},
            "first_day": {"type": "string", "format": "date", "nullable": True},
            "first_log_day": {"type": "string", "format": "date", "nullable": True},
            "last_log_file": {
                "type": "object",
                "nullable": True,
                "description": "The newest log file loaded into this build (null on Athena).",
                "required": ["name", "loaded_at"],
                "properties": {
                    "name": {"type": "string"},
                    "loaded_at": {"type": "string", "format": "date-time"},
                },
                "additionalProperties": False,
            },
            "days_without_logs": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "Days of the 90 ending at valid_thru (from first_log_day) with "
                "no loaded log line (log_coverage): their counts are null in daily answers.",
            },
            "incomplete_days": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "Days of the same window whose logs cover fewer hours than a "
                "complete day needs (docs/rules.md, log coverage).",
            },
            "days_without_downloads": {
                "type": "array",
                "items": {"type": "string", "format": "date"},
                "description": "Days of the 90 ending at valid_thru (from first_day) without "
                "any download: for Bioconductor's traffic, days whose logs are missing.",
            },
            "last_run": {
                "type": "object",
                "nullable": True,
                "description": "The outcome of the last `webstats refresh` (null: none "
                "recorded). `ok` false: a step failed (`error`) or files could not be read "
                "(`problems`); the previous build then still serves.",
                "required": ["finished_at", "ok", "problems", "error"],
                "properties": {
                    "finished_at": {"type": "string", "format": "date-time"},
                    "ok": {"type": "boolean"},
                    "problems": {"type": "integer", "minimum": 0},
                    "error": {"type": "string", "nullable": True},
                },
                "additionalProperties": False,
            },
            "source_freshness": {
                "type": "object",
                "nullable": True,
                "description": "The nightly job's last `dbt source freshness` verdict on the "
                "raw logs (warn after 2 days without a newer request, error after 4); null "
                "when it has not run.",
                "required": ["status", "checked_at"],
                "properties": {
                    "status": {
                        "type": "string",
                        "enum": ["pass", "warn", "error", "runtime error"],
                    },
                    "max_loaded_at": {"type": "string", "format": "date-time", "nullable": True},
                    "age_hours": {"type": "number", "nullable": True},
                    "warn_after_hours": {"type": "integer", "nullable": True},
                    "error_after_hours": {"type": "integer", "nullable": True},
                    "checked_at": {"type": "string", "format": "date-time"},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    },
    "Shield": {
        "type": "object",
        "required": ["schemaVersion", "label", "message", "color"],
        "properties": {
            "schemaVersion": {"type": "integer", "enum": [1]},
            "label": {"type": "string"},
            "message": {"type": "string"},
            "color": {"type": "string"},
            "isError": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    "CranTotal": {
        "type": "object",
        "required": ["start", "end", "downloads"],
        "properties": {
            "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"},
            "package": {"type": "string", "description": "Absent for all packages."},
            "downloads": {
                "type": "integer",
                "minimum": 0,
                "nullable": True,
                "description": "null: no day of the period was loaded.",
            },
        },
        "additionalProperties": False,
    },
}


DAILY_DESCRIPTION = (
    "Entry `hour` h counts the downloads whose local wall-clock time in the zone falls in "
    "[h-1:00, h:00) on that local date: always 24 entries (the repeated hour of a fall-back "
    "day counts both occurrences, the skipped hour of a spring-forward day is 0). A date "
    "after the last loaded day (`valid_thru`) gives `[]`: no data yet."
)
DAY_HOURS_TEXT = "24 local hours, or [] after valid_thru."
ZONE = _query(
    "timezone", {"type": "string", "enum": sorted(zone_names())}, "IANA time zone (default UTC)."
)
DAY_HOURS = {
    "type": "array",
    "items": _ref("HourCount"),
    "oneOf": [{"maxItems": 0}, {"minItems": 24, "maxItems": 24}],
}


def _bulk_or_single(name: str) -> dict[str, Any]:
    return {
        "oneOf": [
            _ref(name),
            {
                "type": "object",
                "description": "Bulk answer keyed by package name; null for unknown packages.",
                "additionalProperties": {"allOf": [_ref(name)], "nullable": True},
                "minProperties": 1,
            },
        ]
    }


def _cran_paths(kind: str, schema: str, what: str) -> dict[str, Any]:
    """cranlogs' GET with packages in the path (or none: all packages), and a bulk POST."""
    note = (
        f" A period covers at most {DAILY_MAX_MONTHS} months and packages x days at most "
        f"{DAILY_CELLS_MAX:,}."
        if kind == "daily"
        else ""
    )
    answer = _ok({"type": "array", "items": _ref(schema)}, "One entry per package (cranlogs).")
    body = {
        "type": "object",
        "required": ["packages"],
        "properties": {
            "packages": {
                "type": "array",
                "minItems": 1,
                "maxItems": POST_MAX,
                "items": {"type": "string", "pattern": f"^{NAME}$"},
            }
        },
    }
    return {
        f"/api/downloads/{kind}/{{period}}/{{packages}}": {
            "get": {
                "operationId": f"cran_{kind}",
                "summary": f"{what} of packages, in cranlogs' shape." + note,
                "parameters": [CRAN_PERIOD, PACKAGES, *FILTERS],
                "responses": {**answer, **_errors(400)},
            }
        },
        f"/api/downloads/{kind}/{{period}}": {
            "get": {
                "operationId": f"cran_{kind}_all",
                "summary": f"{what} of all packages together (no `package` key).",
                "parameters": [CRAN_PERIOD, *FILTERS],
                "responses": {**answer, **_errors(400)},
            },
            "post": {
                "operationId": f"cran_{kind}_bulk",
                "summary": f"{what} of up to {POST_MAX:,} packages named in a JSON body." + note,
                "parameters": [CRAN_PERIOD, *FILTERS],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {**answer, **_errors(400)},
            },
        },
    }


PATHS: dict[str, Any] = {
    "/api/get_data": {
        "get": {
            "operationId": "get_data",
            "summary": "Downloads grouped by one or two columns, optionally per time bucket.",
            "description": f"At most {GET_DATA_MAX_GROUPS:,} groups: a grouping of the data "
            "with more (say every package per day) is refused with 400. The client dimensions "
            "(client, r_version, os, arch, country, edge_country; as groupings or filters), "
            "the grouping by automation_reason (the likely automation's reason, null for "
            "people) and `filter=people` come from a daily table without bioc_version and "
            "download_type: combining them is refused with 400.",
            "parameters": [
                MODEL,
                _query("group_by", COLUMN, "Grouping column.", required=True),
                _query(
                    "second_group_by",
                    COLUMN,
                    "Second grouping column (must differ from group_by, 400 otherwise): its "
                    "values and the counts become parallel lists.",
                ),
                _query(
                    "time_group",
                    {"type": "string", "enum": list(GET_DATA_TIME_GROUPS)},
                    "Bucket by UTC year (`YYYY`), month (`YYYY-MM-01`) or day (`YYYY-MM-DD`).",
                ),
                *FILTERS,
            ],
            "responses": {
                **_ok({"type": "array", "items": _ref("DataEntry")}, "Grouped counts."),
                **_errors(400),
            },
        }
    },
    "/api/get_global_sum": {
        "get": {
            "operationId": "get_global_sum",
            "summary": "Total downloads per UTC year, month, day or hour.",
            "parameters": [
                MODEL,
                _query(
                    "time_group",
                    {"type": "string", "enum": list(GLOBAL_SUM_TIME_GROUPS)},
                    "Bucket; hour labels are `YYYY-MM-DD HH:00` (UTC).",
                    required=True,
                ),
            ],
            "responses": {
                **_ok({"type": "array", "items": _ref("GlobalSum")}, "Totals, oldest first."),
                **_errors(400),
            },
        }
    },
    "/api/get_daily_downloads": {
        "get": {
            "operationId": "get_daily_downloads",
            "summary": "Downloads per local wall-clock hour of one day.",
            "description": DAILY_DESCRIPTION,
            "parameters": [
                ZONE,
                _query(
                    "date",
                    {"type": "string", "pattern": f"^{DATE}$"},
                    f"Local day, {MIN_DATE} to {MAX_DATE} (default: today in that zone).",
                ),
            ],
            "responses": {**_ok(DAY_HOURS, DAY_HOURS_TEXT), **_errors(400)},
        }
    },
    "/api/get_todays_downloads": {
        "get": {
            "operationId": "get_todays_downloads",
            "summary": "Today's local hours: `get_daily_downloads` without `date` (older clients).",
            "parameters": [ZONE],
            "responses": {**_ok(DAY_HOURS, DAY_HOURS_TEXT), **_errors(400)},
        }
    },
    "/api/downloads/point/{period}/{packages}": {
        "get": {
            "operationId": "downloads_point",
            "summary": "Total downloads of one or more packages in a period.",
            "description": "With a filter (client dimensions, `filter=people`) the count comes "
            "from the daily table, and `months` and `distinct_ips` are left out.",
            "parameters": [PERIOD, PACKAGES, *FILTERS],
            "responses": {
                **_ok(_bulk_or_single("Point"), "Downloads in the period."),
                **_errors(400, 404),
            },
        }
    },
    "/api/downloads/breakdown/{period}/{packages}": {
        "get": {
            "operationId": "downloads_breakdown",
            "summary": "Downloads of one or more packages in a period per client, R version, "
            "OS, architecture, country, edge country or likely automation's reason.",
            "parameters": [
                PERIOD,
                PACKAGES,
                _query(
                    "by",
                    {"type": "string", "enum": list(q.DIMENSIONS)},
                    "The dimension (docs/rules.md, the client of a download; "
                    "automation_reason: likely automation, null for people).",
                    required=True,
                ),
                *FILTERS,
            ],
            "responses": {
                **_ok(_bulk_or_single("Breakdown"), "Downloads per value."),
                **_errors(400, 404),
            },
        }
    },
    "/api/downloads/range/{period}/{packages}": {
        "get": {
            "operationId": "downloads_range",
            "summary": "Downloads per UTC day of one or more packages "
            f"(at most {RANGE_MAX_MONTHS} months).",
            "description": "A day without loaded logs is null, a loaded day without "
            "downloads 0. With a filter (client dimensions, `filter=people`) the counts come "
            "from the daily table and `months` is left out.",
            "parameters": [RANGE_PERIOD, PACKAGES, *FILTERS],
            "responses": {
                **_ok(
                    _bulk_or_single("Range"),
                    "Downloads per day, zeros included, null for days without logs.",
                ),
                **_errors(400, 404),
            },
        }
    },
    **_cran_paths("daily", "CranDaily", "Downloads per UTC day"),
    **_cran_paths("total", "CranTotal", "Total downloads"),
    "/api/status": {
        "get": {
            "operationId": "status",
            "summary": "How current and complete the served data is.",
            "responses": {**_ok(_ref("Status"), "The build's days and time."), **_errors()},
        }
    },
    "/api/badge/{package}/{kind}": {
        "get": {
            "operationId": "badge",
            "summary": "shields.io endpoint JSON for a package badge (the SVG is at "
            "/badges/{package}/{kind}.svg).",
            "parameters": [
                _path("package", {"type": "string"}, "Package name."),
                _path("kind", {"type": "string", "enum": list(BADGE_KINDS)}, "Which badge."),
            ],
            "responses": {
                **_ok(_ref("Shield"), "The badge's label, message and colour."),
                "404": _json(_ref("Shield"), "Unknown package or kind: a grey 'not found'."),
                **_errors(),
            },
        }
    },
    "/api/top/{period}/{n}": {
        "get": {
            "operationId": "top",
            "summary": "The n most downloaded packages in a period.",
            "parameters": [
                PERIOD,
                _path("n", {"type": "integer", "minimum": 1, "maximum": TOP_MAX}, "List length."),
                _query("category", {"type": "string"}, "Only this category."),
            ],
            "responses": {**_ok(_ref("Top"), "Ranked packages."), **_errors(400)},
        }
    },
}


def openapi_document(categories: Iterable[str] = ()) -> dict[str, Any]:
    """The whole document. The categories come from the data (the `categories` seed, through
    the warehouse): when known, `?category=` of /top lists exactly them."""
    document = _static_document()
    names = sorted(categories)
    if not names:
        return document
    paths = dict(document["paths"])
    top = paths["/api/top/{period}/{n}"]["get"]
    params = [
        {**p, "schema": {"type": "string", "enum": names}} if p["name"] == "category" else p
        for p in top["parameters"]
    ]
    paths["/api/top/{period}/{n}"] = {"get": {**top, "parameters": params}}
    return {**document, "paths": paths}


@cache
def _static_document() -> dict[str, Any]:
    """Everything that depends on this code only (built once)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "bioc-webstats API",
            "version": "1.0.0",
            "description": "Bioconductor package download statistics. Every answer is JSON, "
            "open to any origin (CORS), and supports conditional GET (ETag, Last-Modified). "
            'Errors are `{"error": "..."}` with status 400 (bad input), 404 (unknown '
            "package or path) or 503 (no data).",
        },
        "paths": PATHS,
        "components": {"schemas": SCHEMAS},
    }
