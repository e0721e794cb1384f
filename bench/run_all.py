"""Every benchmark of issue 9, each beside its baseline, in one table; the same rows as JSON.

Usage: scripts/bench [--quick] [--only NAME[,NAME]] [--soak]
       .venv/bin/python bench/run_all.py [--quick] [--only NAME[,NAME]] [--soak]

NAME is one of: api, events, workbench, cold_start, idle_rss, soak (the bench/<NAME>_bench.py
files). Default: 3 rounds of each, medians. --quick: 1 round with short durations, a smoke
check of about two minutes. The soak (10 minutes at 50 % of peak; 0.5 with --quick) runs only
when asked for, with --soak (after the others) or in --only: it would multiply the time of a
plain run several times over. Each bench prints its detailed table as it goes; at the end
comes one table

    figure | stephost | baseline | ratio | target | pass

(ratio = stephost / baseline; a target is on the ratio or on stephost's own number) and
bench/results/summary.json. A missed target shows as FAIL, but these are measurements, not
tests: the exit status is 1 only when a bench crashed (its traceback is printed, the others
still run). Load comes from wrk processes on loopback (the soak's from a rate-limited httpx
generator of its own), each bounded in time; every host and baseline a bench starts, it
stops. The machine is shared: read the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import Figure, print_table  # noqa: E402


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    default_argv: tuple[str, ...]
    quick_argv: tuple[str, ...]
    opt_in: bool = False  # left out unless named: too long for every run


# Order: the load benches first, while the machine is at its quietest after setup.
BENCHES = (
    Bench("api", "api_bench", (), ("--rounds", "1", "--duration", "2")),
    Bench(
        "events",
        "events_bench",
        (),
        ("--rounds", "1", "--events", "1000", "--post-seconds", "2", "--scale-seconds", "0"),
    ),
    # an even count of rounds: its ABBA order (closed-open, open-closed) then balances out.
    # Twelve pairs: one pair's ratio moves from 0.86x to 1.04x on a shared machine, more than
    # the target allows, while an open page costs the host ~1-3 % per request; the median of
    # four pairs read 0.94x in two runs of five, of eight pairs 0.95-0.98x (one 0.949x).
    Bench("workbench", "workbench_bench", ("--rounds", "12"), ("--rounds", "1", "--seconds", "2")),
    Bench(
        "cold_start",
        "cold_start_bench",
        (),
        (
            "--rounds",
            "1",
        ),
    ),
    Bench(
        "idle_rss",
        "idle_rss_bench",
        (),
        (
            "--rounds",
            "1",
        ),
    ),
    Bench("soak", "soak_bench", ("--minutes", "10"), ("--minutes", "0.5"), opt_in=True),
)


def chosen(only: str | None, soak: bool = False) -> list[Bench]:
    names = [n.strip() for n in only.split(",") if n.strip()] if only else [b.name for b in BENCHES if not b.opt_in]
    if soak and "soak" not in names:
        names.append("soak")
    known = {b.name: b for b in BENCHES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown bench {unknown}; choose from {', '.join(known)}")
    return [known[n] for n in names]


def run_one(bench: Bench, quick: bool) -> tuple[list[Figure], float]:
    """The bench's rows and its wall time; run in this process through its `run(args)`."""
    module = importlib.import_module(bench.module)
    args = module.parser().parse_args(list(bench.quick_argv if quick else bench.default_argv))
    print(f"\n=== {bench.name}: {' '.join(bench.quick_argv if quick else bench.default_argv) or 'defaults'}")
    started = time.monotonic()
    figures: list[Figure] = module.run(args)
    return figures, time.monotonic() - started


def git_revision() -> str | None:
    # Read-only; the tree may have uncommitted edits, so say so beside the commit.
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=HERE)
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain"], capture_output=True, text=True, cwd=HERE
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1 round, short durations: a smoke check")
    parser.add_argument("--only", metavar="NAME[,NAME]", help=f"only these: {', '.join(b.name for b in BENCHES)}")
    parser.add_argument("--soak", action="store_true", help="add the soak (10 min; 0.5 with --quick) at the end")
    args = parser.parse_args()
    benches = chosen(args.only, args.soak)

    figures: list[Figure] = []
    crashed: dict[str, str] = {}
    durations: dict[str, float] = {}
    started = time.monotonic()
    for bench in benches:
        try:
            rows, took = run_one(bench, args.quick)
        except Exception:  # one broken bench must not hide the others' figures
            crashed[bench.name] = traceback.format_exc()
            print(f"\n!!! {bench.name} crashed:\n{crashed[bench.name]}", file=sys.stderr)
            continue
        figures += rows
        durations[bench.name] = round(took, 1)

    mode = "quick (1 round)" if args.quick else "default (3 rounds, medians)"
    print_table(figures, f"stephost benchmarks, {mode}, {time.strftime('%Y-%m-%d %H:%M')}")
    for name in crashed:
        print(f"{name}: CRASHED (traceback above)")
    summary: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mode": "quick" if args.quick else "default",
        "revision": git_revision(),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "seconds": {"total": round(time.monotonic() - started, 1), **durations},
        "rows": [f.as_dict() for f in figures],
        "crashed": crashed,
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"\nwritten: {results / 'summary.json'} ({summary['seconds']['total']:.0f} s)")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
