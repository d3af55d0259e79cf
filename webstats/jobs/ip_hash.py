"""`webstats migrate-ip-hash`: move a warehouse's IP hashes from md5 to HMAC-SHA-256.

Versions before HMAC stored md5(secret || address) as `ip_hash`; builds now refuse such a
warehouse until it is migrated, so that no period ever counts its distinct addresses with
two hashes. The migration is the dbt operation `migrate_ip_hash`
(macros/cross_db/ip_hash_scheme.sql), so that it hashes with the very SQL of the models:
the years whose stored hashes all map to an address still in `raw_requests` are re-hashed
in place, the earlier ones (raw rows pruned) keep md5 for good, and every distinct-IP count
stays as it was (docs/privacy.md). It runs under the writer lock, on the live tables:
counts do not change, so the site has nothing to see. Running it again changes nothing.
"""

from __future__ import annotations

import json

from webstats.core.settings import Settings
from webstats.core.warehouse import loads_logs, writer_lock

from .dbt import run_dbt

#: the prefix of the operation's one result line in dbt's output
RESULT_PREFIX = "ip_hash_migration "


def parse_result(output: str) -> dict:
    """The operation's result ({"changed", "hmac_from", rows re-hashed per table})."""
    for line in output.splitlines():
        at = line.find(RESULT_PREFIX)
        if at >= 0:
            return json.loads(line[at + len(RESULT_PREFIX) :])
    raise RuntimeError("dbt run-operation migrate_ip_hash printed no result line")


def migrate_ip_hash(settings: Settings) -> dict:
    """Run the migration under the writer lock; return its result."""
    if not loads_logs(settings):
        raise ValueError(
            f"the {settings.target} target has no raw tables here to re-derive hashes from "
            "(docs/privacy.md: Athena)"
        )
    with writer_lock(settings):
        return parse_result(run_dbt(settings, ["run-operation", "migrate_ip_hash"]))
