"""Where the test suite's time goes, per xdist group: from a JUnit report of a run.

The suite runs with `--dist loadgroup`: the tests sharing one expensive build (tests/conftest.py)
are a group that one worker runs from start to end, so the longest group bounds the wall time,
and the whole suite's work divided by the workers bounds it from below. pytest-xdist appends
`@group` to the names of grouped tests in the report; this sums setup, call and teardown
(the JUnit `time` of each test case) per group and lists the longest ungrouped tests.

    bash scripts/test.sh --junitxml=/tmp/suite.xml
    python bench/suite_groups.py /tmp/suite.xml [--workers 3] [--top 15]
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
from collections import defaultdict


def group_times(report: str) -> tuple[dict[str, list[float]], list[tuple[float, str]]]:
    """(group -> the times of its tests, [(time, test)] of the ungrouped tests)."""
    groups: dict[str, list[float]] = defaultdict(list)
    free: list[tuple[float, str]] = []
    for case in ET.parse(report).iter("testcase"):
        name, seconds = case.get("name", ""), float(case.get("time", 0))
        # "test@group" or "test[param]@group"; a group may hold "@" itself ("module@engine")
        head, _, group = name.partition("]@") if "]@" in name else name.partition("@")
        if group:
            groups[group].append(seconds)
        else:
            free.append((seconds, f"{case.get('classname')}::{name}"))
    return groups, free


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="a --junitxml report of a run")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    groups, free = group_times(args.report)
    grouped = sum(sum(times) for times in groups.values())
    total = grouped + sum(seconds for seconds, _ in free)
    print(
        f"all tests {total:.0f} s ({grouped:.0f} s in {len(groups)} groups, "
        f"{total - grouped:.0f} s in {len(free)} ungrouped tests); "
        f"per worker of {args.workers}: {total / args.workers:.0f} s"
    )
    print(f"{'seconds':>8} {'tests':>5}  group")
    for name, times in sorted(groups.items(), key=lambda kv: -sum(kv[1])):
        print(f"{sum(times):8.1f} {len(times):5d}  {name}")
    print(f"the {args.top} longest ungrouped tests:")
    for seconds, test in sorted(free, reverse=True)[: args.top]:
        print(f"{seconds:8.1f}  {test}")


if __name__ == "__main__":
    main()
