"""What the loader adds to each batch of parsed requests from the client address, before
anything hashes it: `client_country` (geo.py) and `client_network` (cloud.py), each looked
up for the batch's distinct addresses in one DuckDB statement (netranges.py)."""

from __future__ import annotations

import duckdb

from . import cloud, geo
from .netranges import ensure_table, keys_sql, match_sql, table_file

#: (temp table of ranges, column it gives, how its networks are read from package data)
TABLES = (
    ("geo_networks", "client_country", geo.country_networks),
    ("cloud_networks", "client_network", cloud.provider_networks),
)


class AddressFacts:
    """Annotates the batches of one load (the range tables are built once per process and
    loaded once per DuckDB connection)."""

    def annotate(self, con: duckdb.DuckDBPyConnection, rows_table: str) -> str:
        """SELECT of `rows_table` (raw_requests columns, without these two) with
        `client_country` and `client_network` appended; temp tables `batch_keys` and
        `batch_addresses` hold the batch's distinct addresses, their keys and facts."""
        for table, _column, networks in TABLES:
            ensure_table(con, table, table_file(table, networks))
        con.execute(f"create or replace temp table batch_keys as {keys_sql(rows_table)}")
        columns = ", ".join(f"{table}.{column}" for table, column, _n in TABLES)
        joins = " ".join(
            f"left join ({match_sql('batch_keys', table, column)}) as {table} using (client_ip)"
            for table, column, _n in TABLES
        )
        con.execute(
            "create or replace temp table batch_addresses as "
            f"select k.client_ip, {columns} from batch_keys as k {joins}"
        )
        return (
            f"select b.*, a.client_country, a.client_network from {rows_table} as b "
            "left join batch_addresses as a on a.client_ip = b.client_ip"
        )
