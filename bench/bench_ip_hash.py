"""What the keyed IP hash costs per request: HMAC-SHA-256 against the md5 it replaced.

stg_requests hashes every raw request's address once (macros/cross_db/ip_hash.sql). This
times DuckDB computing the distinct hashes of N synthetic IPv4 addresses both ways, on one
thread, with the SQL shapes of the macros (md5 of secret || address; HMAC as
sha256(opad-key || sha256(ipad-key || address)) with the padded keys as hex literals), and
checks a sample of the HMACs against Python's `hmac`.

    python bench/bench_ip_hash.py [--rows 2000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import time

import duckdb

SECRET = "a-benchmark-secret-of-32-chars!!"


def pads(key: bytes) -> tuple[str, str]:
    padded = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in padded).hex(), bytes(b ^ 0x5C for b in padded).hex()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ipad, opad = pads(SECRET.encode())
    hmac_sql = f"sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(ip))))"
    md5_sql = f"md5('{SECRET}' || ip)"
    con = duckdb.connect()
    con.execute("set threads = 1")
    con.execute(
        "create table t as select (i // 65536) % 256 || '.' || (i // 256) % 256 || '.' "
        f"|| i % 256 || '.' || i % 251 as ip from range({args.rows}) r(i)"
    )
    sample = con.execute(f"select ip, {hmac_sql} from t using sample 100 rows").fetchall()
    key = SECRET.encode()
    assert all(h == hmac.new(key, ip.encode(), hashlib.sha256).hexdigest() for ip, h in sample)
    for name, expr in (("md5", md5_sql), ("hmac-sha256", hmac_sql)):
        best = min(_time(con, f"select count(distinct {expr}) from t") for _ in range(args.repeat))
        per_row = best / args.rows * 1e6
        print(f"{name:12} {best:7.3f} s  {per_row:6.2f} us/row  ({args.rows:,} rows)")


def _time(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql).fetchall()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
