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
    "local_date",
)

# Apache/Squid/nginx lines: [vhost] client[, client...] ident user [time] "request" status
# bytes, then anything (combined's "referer" "agent", nginx main's "$http_x_forwarded_for",
# Squid's " TCP_MISS:DIRECT", ...). Quoted fields may hold backslash escapes (\" and \\).
# Each regular expression is anchored, unambiguous and has at most 4 groups, so that RE2
# runs it one-pass (a 9-group expression ran 10x slower); the rest is string functions.
QUOTED = r'"((?:[^"\\]|\\.)*)"'
#: what follows ' [' + the time + '] "': the rest of the request, status, bytes, then a
#: space or the end. Not matched to the end of the line: the tail (the user agent...) is cut
#: with substr, which is cheaper than the regular expression scanning it (0.4 us a line)
AFTER_TIME = r'^((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: |$)'
#: what follows the bytes of a combined line: "referer" "user agent"
COMBINED_TAIL = "^ " + QUOTED + " " + QUOTED
#: a request line's protocol: the last token, if it is HTTP/x
PROTOCOL = r" (HTTP/[0-9.]+)$"
#: a time as Apache writes it (dd/Mon/yyyy:HH:MM:SS +hhmm, every field its full width): read
#: as the local time and the offset separately, which gives exactly what strptime's %z does
#: for every +hhmm (all 10,000 checked) with one strptime where the local day needed a second
PLAIN_TIME = (
    "[0-9][0-9]/[A-Za-z][A-Za-z][A-Za-z]/[0-9][0-9][0-9][0-9]:[0-9][0-9]:[0-9][0-9]:[0-9][0-9] "
    "[-+][0-9][0-9][0-9][0-9]"
)
#: lines longer than this are rejected (linestream.MAX_LINE_BYTES, in characters here)
MAX_LINE_CHARS = 1024 * 1024
#: DuckDB's CSV read buffer: a CloudFront line longer than max_line_size is rejected
#: ("LINE SIZE OVER MAXIMUM") only if it fits in the buffer; with the default buffer a line
#: of 31 MB or more vanished without a reject (one longer than this still would)
CSV_BUFFER_BYTES = 64 * 1024 * 1024


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
    {col("user_agent", "nullif(r.user_agent, '-')")} as user_agent,
    cast(null as date) as local_date
from read_csv(
    {_file_list(paths)},
    delim = '\t', header = false, skip = {shape.header_lines}, quote = '', escape = '',
    auto_detect = false, null_padding = false, compression = '{compression}',
    columns = {{{", ".join(columns)}}},
    max_line_size = {MAX_LINE_CHARS}, buffer_size = {CSV_BUFFER_BYTES},
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


def _unescape(expr: str) -> str:
    """Apache writes " and \\ inside quoted fields as \\" and \\\\."""
    return (
        f"case when contains({expr}, '\\') then "
        f"regexp_replace({expr}, '\\\\([\"\\\\])', '\\1', 'g') else {expr} end"
    )


def chunk_lines(table: str) -> str:
    """The numbered lines of the chunks in `table` (file_id, first_number, text).

    The list is split once per chunk in a subquery and unnested in the select list: a
    lateral `unnest(string_split(...)) with ordinality` re-split the text per output batch
    (quadratic), and `with ordinality` alone costs 4x this.
    """
    return f"""
select
    file_id,
    cast(unnest(range(first_number, first_number + len(lines))) as integer) as line_number,
    unnest(lines) as line
from (select file_id, first_number, string_split(text, chr(10)) as lines from {table})
"""


def apache_chunk(table: str, plain: bool = True) -> str:
    """Parse the numbered lines in `table` (file_id, line_number, line: see chunk_lines) as
    Apache/Squid/nginx lines: one row per non-blank line, with a reject reason or the
    raw_requests columns. `table` is a table, not a view, so DuckDB parses its row groups
    in parallel.

    Positions are counted in characters (length, left, substr), never bytes (strlen).

    The head before the time is "[vhost] client[, client...] ident user": ident and user are
    its last two tokens; a first token ending in "," starts a client list (quoted or not,
    perhaps followed by the proxy's address, as nginx's "$http_x_forwarded_for $remote_addr"
    writes it), any other extra first token is a vhost. The client is the first address of
    a list ("client, proxy, ..." as X-Forwarded-For writes it): the address the request
    came from, as far as the log knows.

    Why two paths: the regular expressions (RE2) cost about 1 us a line each, most of the
    parse. A line without a backslash and with the usual shape (a head of three tokens, the
    status and bytes as digits written without leading zeros) is cut with strpos and substr
    instead, which give exactly what the expressions would; any other line takes the
    expressions (CASE evaluates a branch only for the rows that need it). `plain=False`
    sends every line through the expressions (tests compare the two paths).
    """
    return f"""
{_apache_ctes(table, plain)}
select
    file_id, line_number,
    case
        when strlen(line) > {MAX_LINE_CHARS} then 'line longer than {MAX_LINE_CHARS} bytes'
        when not shaped or no_client or client = '' or status = ''
            then 'not an Apache/Squid/nginx access log line'
        when utc_at is null then 'bad timestamp: ' || ts
        when target = '' then 'bad request line: ' || request
    end as reject_reason,
    case when reject_reason is not null then left(line, 4096) end as line,
    utc_at as request_at,
    cast(null as varchar) as edge_location,
    client as client_ip,
    method,
    case when contains(path, '?') then left(path, strpos(path, '?') - 1) else path end
        as uri_stem,
    case when contains(target, '?') then nullif(substr(target, strpos(target, '?') + 1), '') end
        as uri_query,
    try_cast(status as integer) as status,
    try_cast(nullif(bytes, '-') as bigint) as bytes_sent,
    nullif(nullif({_unescape("agent")}, ''), '-') as user_agent,
    -- the local day the log wrote (the period's day: docs/rules.md, periods)
    case
        when plain_time then cast(local_at as date)
        else cast(try_strptime(split_part(ts, ':', 1), '%d/%b/%Y') as date)
    end as local_date
from path
"""


def _apache_ctes(table: str, plain: bool) -> str:
    """The steps of apache_chunk: split the line, pull out the fields, read them. (The
    two-argument rtrim and trim cost 2 us a line here; CRLF is taken off in Python.)"""
    return f"""
with lines as (select file_id, line_number, line from {table}),
{_plain_ctes(plain)},
fields as (
    select
        *,
        case
            when fast then left(p1, open_at - 1) else left(line, strpos(line, ' [') - 1)
        end as head_text,
        case when fast then substr(p1, open_at + 2, length(p1) - open_at - 3) end as p_ts,
        case when not fast then substr(line, strpos(line, ' [') + 2) end as after_head,
        fast or (strpos(line, ' [') > 0 and contains(line, '] "')) as shaped
    from checked
),
rest as (
    select
        *,
        case
            when fast then p_ts else left(after_head, strpos(after_head, '] "') - 1)
        end as ts,
        case when not fast then substr(after_head, strpos(after_head, '] "') + 3) end as rest,
        -- "client ident user": the usual head, its first token the client
        strlen(head_text) - strlen(replace(head_text, ' ', '')) = 2 as plain_head
    from fields
),
matched as (
    select
        *,
        case
            when not fast
                then regexp_extract(rest, {sql_literal(AFTER_TIME)}, ['request', 'status', 'bytes'])
        end as p
    from rest
),
{_fields_ctes(plain)},
request as (
    select
        *,
        case
            when contains(request, ' ') then left(request, strpos(request, ' ') - 1)
            else request
        end as method,
        case
            when suffix(request, ' HTTP/1.1') then 'HTTP/1.1'
            when suffix(request, ' HTTP/1.0') then 'HTTP/1.0'
            else regexp_extract(right(request, 12), {sql_literal(PROTOCOL)}, 1)
        end as protocol,
        case
            when plain_time then local_at - to_minutes(offset_minutes)
            else timezone('UTC', try_strptime(ts, '%d/%b/%Y:%H:%M:%S %z'))
        end as utc_at
    from parsed
),
target as (
    select
        *,
        substr(
            request,
            length(method) + 2,
            greatest(
                length(request) - length(method) - 1
                - (case when protocol = '' then 0 else length(protocol) + 1 end),
                0
            )
        ) as target
    from request
),
path as (
    -- the target without the scheme and host of an absolute-form target
    select
        *,
        case
            when starts_with(target, '/') then target
            else regexp_replace(target, '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*', '')
        end as path
    from target
)"""


def _plain_ctes(plain: bool) -> str:
    """The plain path's pieces: the line split at its quotes, and whether it is plain.

    A plain line has no backslash (so every quote delimits), its first piece is the head,
    ' [', the time and '] ', its second the request, its third ' ', the status as three
    digits, ' ', the bytes as digits or '-', then a space or the end of the line (bytes that
    a cast does not give back unchanged, such as leading zeros or a sign, are not plain).
    The agent is then the sixth piece when the third ends right after the bytes' space and
    the fifth is one space (' "referer" "agent"'), else there is none: exactly what the
    expressions find."""
    return f"""
split as (
    select
        file_id, line_number, line,
        string_split(line, '"') as parts,
        contains(line, '\\') as escaped
    from lines
    where line <> ''
),
cut as (
    select
        *,
        parts[1] as p1,
        parts[3] as p3,
        len(parts) as n_parts,
        strpos(parts[1], ' [') as open_at,
        substr(parts[3], 6) as after_status
    from split
),
plain_bytes as (
    select
        *,
        case
            when contains(after_status, ' ') then left(after_status, strpos(after_status, ' ') - 1)
            else after_status
        end as p_bytes
    from cut
),
checked as (
    select
        *,
        coalesce(
            not escaped and n_parts >= 3 and open_at > 0 and suffix(p1, '] ')
            and starts_with(p3, ' ') and substr(p3, 5, 1) = ' '
            and substr(p3, 2, 3) glob '[0-9][0-9][0-9]'
            and (p_bytes = '-' or cast(try_cast(p_bytes as ubigint) as varchar) = p_bytes)
            and (contains(after_status, ' ') or n_parts = 3),
            false
        ) and {"true" if plain else "false"} as fast
    from plain_bytes
)"""


def _fields_ctes(plain: bool) -> str:
    """The request, status, bytes and agent (of either path), the time, the client."""
    return f"""
fields2 as (
    select
        *,
        case when fast then parts[2] else p.request end as raw_request,
        case when fast then substr(p3, 2, 3) else p.status end as status,
        case when fast then p_bytes else p.bytes end as bytes,
        case
            when not fast then regexp_extract(
                -- the tail: after the request, '" ', the status (3), ' ' and the bytes
                substr(rest, length(p.request) + length(p.bytes) + 7),
                {sql_literal(COMBINED_TAIL)},
                2
            )
            when n_parts >= 7 and length(p3) = length(p_bytes) + 6 and parts[5] = ' '
                then parts[6]
            else ''
        end as agent,
        case when not plain_head then string_split(head_text, ' ') end as head,
        coalesce(length(ts) = 26 and ts glob {sql_literal(PLAIN_TIME)}, false)
            and {"true" if plain else "false"} as plain_time
    from matched
),
clients as (select *, head[1:len(head) - 2] as clients from fields2),
parsed as (
    select
        *,
        {_unescape("raw_request")} as request,
        case
            when plain_time then try_strptime(left(ts, 20), '%d/%b/%Y:%H:%M:%S')
        end as local_at,
        case when plain_time then
            (case when substr(ts, 22, 1) = '-' then -1 else 1 end)
            * (cast(substr(ts, 23, 2) as integer) * 60 + cast(right(ts, 2) as integer))
        end as offset_minutes,
        not plain_head and len(clients) = 0 as no_client,
        replace(
            replace(
                case
                    when plain_head then left(head_text, strpos(head_text, ' ') - 1)
                    when len(clients) = 1 or suffix(clients[1], ',') then clients[1]
                    else clients[2]
                end,
                ',', ''
            ),
            '"', ''
        ) as client
    from clients
)"""
