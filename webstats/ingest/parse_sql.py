"""DuckDB SQL that reads a batch of log files into `raw_requests` rows and reject rows.

The C++ CSV reader does the per-line work (about 10x a Python loop); this module only
writes the query. Every query selects the columns of `raw_requests` in table order.
"""

from __future__ import annotations

from .formats import CLOUDFRONT_COLUMNS, LogShape

RAW_COLUMNS = (
    "file_id",
    "request_at",
    "edge_location",
    "client_ip",
    "method",
    "uri_stem",
    "uri_query",
    "status",
    "bytes_sent",
    "user_agent",
)

# Apache/Squid "common" and "combined": host ident user [time] "request" status bytes
# ["referer" "agent"]. Named groups keep the extraction readable.
APACHE_LINE = (
    r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+|-)'
    r'(?: "([^"]*)" "([^"]*)")?\s*$'
)
APACHE_GROUPS = [
    "host",
    "ident",
    "authuser",
    "ts",
    "request",
    "status",
    "bytes",
    "referer",
    "agent",
]


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _file_list(paths: list[str]) -> str:
    return "[" + ", ".join(sql_literal(p) for p in paths) + "]"


def cloudfront_select(shape: LogShape, paths: list[str], rejects: str) -> str:
    """SELECT over CloudFront files that share one `#Fields` list."""
    columns = []
    for i, field in enumerate(shape.fields):
        name, dtype = CLOUDFRONT_COLUMNS.get(field, (f"f{i}", "VARCHAR"))
        columns.append(f"{sql_literal(name)}: {sql_literal(dtype)}")
    present = {CLOUDFRONT_COLUMNS[f][0] for f in shape.fields if f in CLOUDFRONT_COLUMNS}

    def col(name: str, expr: str | None = None) -> str:
        return (expr or f"r.{name}") if name in present else "null"

    compression = "gzip" if shape.compression == "gzip" else "none"
    return f"""
select
    m.file_id,
    r.date + r.time as request_at,
    {col("edge_location")} as edge_location,
    r.client_ip,
    r.method,
    r.uri_stem,
    {col("uri_query", "nullif(r.uri_query, '-')")} as uri_query,
    r.status,
    {col("bytes_sent", "try_cast(r.bytes_sent as bigint)")} as bytes_sent,
    {col("user_agent", "nullif(r.user_agent, '-')")} as user_agent
from read_csv(
    {_file_list(paths)},
    delim = '\t', header = false, skip = {shape.header_lines}, quote = '', escape = '',
    auto_detect = false, null_padding = false, compression = '{compression}',
    columns = {{{", ".join(columns)}}},
    filename = true, store_rejects = true,
    rejects_table = '{rejects}_errors', rejects_scan = '{rejects}_scans'
) as r
join batch_files as m on m.path = r.filename
"""


def cloudfront_rejects(rejects: str) -> str:
    """One reject row (file_id, line_number, reason, line) per bad line.

    DuckDB records an error per offending column (a short line has one per missing
    column); the first one says enough.
    """
    return f"""
select m.file_id, cast(e.line as integer) as line_number,
       arg_min(cast(e.error_type as varchar) || ': ' || e.error_message,
               coalesce(e.column_idx, 0)) as reason,
       arg_min(ltrim(e.csv_line, chr(10) || chr(13)), coalesce(e.column_idx, 0)) as line
from {rejects}_errors as e
join {rejects}_scans as s on s.scan_id = e.scan_id and s.file_id = e.file_id
join batch_files as m on m.path = s.file_path
group by m.file_id, e.line
"""


def apache_lines(paths: list[str]) -> str:
    """Every non-blank line of plain-text Apache/Squid files, numbered, parsed by regex."""
    return f"""
with numbered as (
    select m.file_id, rtrim(l.line, chr(13)) as line, cast(l.n as integer) as line_number
    from read_text({_file_list(paths)}) as t
    join batch_files as m on m.path = t.filename,
    unnest(string_split(t.content, chr(10))) with ordinality as l(line, n)
),
matched as (
    select *, regexp_extract(line, {sql_literal(APACHE_LINE)}, {APACHE_GROUPS}) as p
    from numbered
    where line <> ''
),
parsed as (
    select
        file_id, line_number, line, p,
        regexp_extract(p.request, '^(\\S+) (\\S+)', ['method', 'target']) as q,
        try_strptime(p.ts, '%d/%b/%Y:%H:%M:%S %z') as ts_tz
    from matched
)
select
    file_id, line_number, line,
    case
        when p.host = '' then 'not an Apache/Squid common or combined log line'
        when ts_tz is null then 'bad timestamp: ' || p.ts
        when q.method = '' then 'bad request line: ' || p.request
    end as reject_reason,
    timezone('UTC', ts_tz) as request_at,
    cast(null as varchar) as edge_location,
    p.host as client_ip,
    q.method as method,
    split_part(regexp_replace(q.target, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', ''), '?', 1)
        as uri_stem,
    nullif(
        substr(q.target, length(split_part(q.target, '?', 1)) + 2), ''
    ) as uri_query,
    try_cast(p.status as integer) as status,
    try_cast(nullif(p.bytes, '-') as bigint) as bytes_sent,
    nullif(nullif(p.agent, ''), '-') as user_agent
from parsed
"""
