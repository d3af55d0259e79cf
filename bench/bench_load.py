"""Load benchmark: Apache combined vs CloudFront lines through `webstats load` (not a test).

    python bench/bench_load.py --lines 2000000 [--work DIR] [--steps apache,cloudfront,ref]

Writes N combined-format lines as one plain file (the shape a day of Apache logs has) and
the same N requests as 33-field CloudFront logs (plain, 500,000 lines a file), cached in the
work directory. Each step runs in its own process, which reports its wall seconds, CPU
seconds (user + system: other engineers' work on the machine inflates wall time, not CPU)
and peak RSS (ru_maxrss of that process):

  apache      `load_paths` of the combined file into a fresh DuckDB warehouse
  cloudfront  `load_paths` of the CloudFront files into a fresh DuckDB warehouse
  ref         a bare DuckDB `read_csv` of the combined file's bytes, one column per line,
              into a table (what reading the bytes costs at all)

With `--public-ips` the addresses are public ones (about 440,000 distinct, as the private
default), so the client-country lookup of every distinct address (webstats/ingest/geo.py)
is part of the cost; give it its own `--work` directory (the files keep their names, so an
older checkout's script run with the same `--work` loads the very same files).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

AGENTS = (
    "R (4.3.2 x86_64-pc-linux-gnu x86_64 linux-gnu)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "libcurl/7.81.0 r-curl/5.1.0 httr/1.4.7",
)
PACKAGES = ("ACME_2.58.0", "a4Base_1.50.0", "limma_3.58.1", "edgeR_4.0.2", "DESeq2_1.42.0")
CF_FILE_LINES = 500_000


#: first octets of the --public-ips addresses (public unicast ranges of several regions)
PUBLIC_FIRST = (23, 31, 41, 49, 62, 77, 81, 89, 101, 121, 133, 151, 177, 185, 190, 200)


def _request(i: int, public: bool = False) -> tuple[str, str, str, str, str]:
    """(time hh:mm:ss, ip, uri, status, agent) of synthetic request i (one day)."""
    s = i * 86_400 // 10_000_000 % 86_400
    stamp = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    first = PUBLIC_FIRST[i % 16] if public else 10
    ip = f"{first}.{i % 251}.{i // 251 % 251}.{i % 7 + 1}"
    uri = f"/packages/3.18/bioc/src/contrib/{PACKAGES[i % 5]}.tar.gz"
    return stamp, ip, uri, "200" if i % 13 else "404", AGENTS[i % 3]


def generate(work: Path, lines: int, public: bool = False) -> tuple[Path, Path]:
    """The combined file and the CloudFront directory for `lines` requests (cached)."""
    from webstats.ingest.formats import CLOUDFRONT_FIELDS

    apache = work / f"access-{lines}.log"
    cf_dir = work / f"cloudfront-{lines}"
    if apache.exists() and cf_dir.exists():
        return apache, cf_dir
    cf_dir.mkdir(parents=True, exist_ok=True)
    header = "#Version: 1.0\n#Fields: " + " ".join(CLOUDFRONT_FIELDS) + "\n"
    with open(apache, "w") as out:
        for start in range(0, lines, CF_FILE_LINES):
            a_lines, c_lines = [], []
            for i in range(start, min(lines, start + CF_FILE_LINES)):
                t, ip, uri, status, agent = _request(i, public)
                a_lines.append(
                    f'{ip} - - [15/Jan/2024:{t} +0000] "GET {uri} HTTP/1.1" {status} 12345 '
                    f'"-" "{agent}"\n'
                )
                values = {
                    "date": "2024-01-15",
                    "time": t,
                    "x-edge-location": "IAD89-P1",
                    "sc-bytes": "12345",
                    "c-ip": ip,
                    "cs-method": "GET",
                    "cs(Host)": "d2nsi8cfpgrgm1.cloudfront.net",
                    "cs-uri-stem": uri,
                    "sc-status": status,
                    "cs(User-Agent)": agent.replace(" ", "%20"),
                }
                c_lines.append("\t".join(values.get(f, "-") for f in CLOUDFRONT_FIELDS) + "\n")
            out.write("".join(a_lines))
            name = f"E1.2024-01-15-{start // CF_FILE_LINES:02d}.bench"
            (cf_dir / name).write_text(header + "".join(c_lines))
    return apache, cf_dir


def child(step: str, source: str, db: str) -> None:
    """Run one step in this process and print its figures as JSON."""
    started = time.monotonic()
    if step == "ref":
        import duckdb

        con = duckdb.connect(db)
        con.execute(
            "create table t as select * from read_csv(?, columns = {'line': 'VARCHAR'}, "
            "delim = chr(1), quote = '', escape = '', header = false, auto_detect = false)",
            [source],
        )
        lines = con.execute("select count(*) from t").fetchone()[0]
    else:
        from webstats.core.settings import settings
        from webstats.ingest.loader import load_paths

        os.environ["WEBSTATS_DUCKDB"] = db
        summary = load_paths(settings("duckdb"), [Path(source)], progress=False)
        if not summary.ok:
            raise SystemExit(f"{step}: {summary.problems}")
        lines = summary.loaded + summary.rejected
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "step": step,
                "lines": lines,
                "seconds": round(time.monotonic() - started, 2),
                "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                "peak_rss_mb": round(usage.ru_maxrss / 1024),
                "load_1min": round(os.getloadavg()[0], 1),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-load")
    ap.add_argument("--steps", default="apache,cloudfront,ref")
    ap.add_argument("--public-ips", action="store_true")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    apache, cf_dir = generate(args.work, args.lines, args.public_ips)
    sources = {"apache": apache, "cloudfront": cf_dir, "ref": apache}
    for step in args.steps.split(","):
        db = args.work / f"{step}.duckdb"
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        cmd = [sys.executable, __file__, "--child", step, str(sources[step]), str(db)]
        subprocess.run(cmd, check=True)
        db.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
