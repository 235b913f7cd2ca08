"""`salescli today --owner X` and `salescli search WORD` on a big database, against the floor of the stack.

    .venv/bin/python benchmarks/generate.py benchmarks/data/bench-1m.db        # 1M deals, 3M activities
    .venv/bin/python benchmarks/agenda.py benchmarks/data/bench-1m.db [--runs 15] [--owner alice]

The floor is benchmarks/floor_app.py (a one-command Typer app printing "ok"), run in the same session
with the same interpreter. Each command is a fresh subprocess; the figure is the median wall time of
--runs runs (at least 10) after one warm-up run each, the runs interleaved (startup.medians).
Target: every command within 3x the floor; exit 1 when one is missed. --today is pinned to the
generator's last day (2026-11-26). `db migrate` runs first (untimed) on a file from an older schema.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import medians, salescli_exe  # benchmarks/ is on sys.path when this runs as a script

HERE = Path(__file__).resolve().parent
TARGET = 3.0
TODAY = "2026-11-26"
# a word of a company name (a few thousand matches: deals, companies, e-mails) and a word that is in
# every fifth activity (150,000 matches)
WORDS = ("Nixzen", "contract")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path, help="a database made by benchmarks/generate.py")
    parser.add_argument("--runs", type=int, default=15, help="runs per command (at least 10)")
    parser.add_argument("--owner", default="alice", help="whose agenda (default: alice, 1/25 of the deals)")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist; make it with: {sys.executable} {HERE / 'generate.py'} {args.db}")
    runs = max(10, args.runs)
    exe = salescli_exe()
    base = [exe, "--db", str(args.db), "--today", TODAY]
    subprocess.run([*base, "db", "migrate"], check=True, capture_output=True)  # not timed: a one-off
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NO_COLOR": "1", "SALESCLI_USER": "bench", "XDG_DATA_HOME": tmp}
        env.pop("SALESCLI_DB", None)
        commands = {
            "floor (typer app printing ok)": [sys.executable, str(HERE / "floor_app.py")],
            f"salescli today --owner {args.owner}": [*base, "today", "--owner", args.owner],
            **{f"salescli search {word}": [*base, "search", word] for word in WORDS},
        }
        results = medians(commands, runs, env)
    floor = results["floor (typer app printing ok)"]
    print(f"{'command':<40} {'median':>9} {'x floor':>8} {'target':>7}")
    missed = False
    for name, seconds in results.items():
        ratio = seconds / floor
        target = "" if name.startswith("floor") else f"{TARGET:.1f}x"
        ok = name.startswith("floor") or ratio <= TARGET
        missed |= not ok
        print(f"{name:<40} {seconds * 1000:7.0f} ms {ratio:7.2f}x {target:>7}{'' if ok else '  MISSED'}")
    print(f"({runs} runs each, python {sys.version.split()[0]}, {args.db})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
