"""Publish the tables the site reads into the file `webstats serve` reads (DuckDB only).

The last node of a build: it follows webstats_info, which is built after every check
passed, so a build whose checks fail publishes nothing and the site keeps the previous one.
How and why: webstats/core/site_file.py (the one implementation, shared with the tools that
write marts without dbt) and docs/warehouse.md (building while the site is served).
"""

from webstats.core.site_file import publish


def model(dbt, session):
    dbt.ref("webstats_info")  # built last: publish only a complete, checked build
    done = publish(session)
    return session.sql(
        "select cast(? as varchar) as site_file, cast(? as bigint) as bytes, "
        "cast(? as double) as seconds, cast(? as boolean) as incremental, "
        "current_timestamp::timestamp as published_at",
        params=[done["site_file"], done["bytes"], done["seconds"], done["incremental"]],
    )
