"""Startup time: `salescli --help` and `salescli contact list` against the floor of the stack.

    .venv/bin/python benchmarks/startup.py [--runs 15]

The floor is benchmarks/floor_app.py (a one-command Typer app printing "ok"), run in the same
session with the same interpreter, so machine noise hits all three alike. `contact list` runs on
the demo database built with `salescli demo --db PATH`. Each command is a fresh subprocess;
the figure is the median wall time of --runs runs (after one warm-up run each), the runs
interleaved so that changes in the machine's load hit all three alike.
Targets: --help <= 1.5x the floor, contact list <= 2x the floor. Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"salescli --help": 1.5, "salescli contact list": 2.0}


def salescli_exe() -> str:
    exe = shutil.which("salescli", path=os.path.dirname(sys.executable))
    if exe is None:
        sys.exit("salescli is not installed beside this python (pip install -e .)")
    return exe


def medians(commands: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command; runs are interleaved (floor, help, list, floor, ...) so that
    a change in the machine's load hits every command alike instead of skewing the ratios."""
    for argv in commands.values():
        subprocess.run(argv, check=True, capture_output=True, env=env)  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="runs per command (at least 10)")
    args = parser.parse_args()
    runs = max(10, args.runs)
    exe = salescli_exe()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NO_COLOR": "1", "SALESCLI_USER": "bench", "XDG_DATA_HOME": tmp}
        env.pop("SALESCLI_DB", None)
        demo = Path(tmp) / "demo.db"
        subprocess.run([exe, "demo", "--db", str(demo)], check=True, capture_output=True, env=env)
        commands = {
            "floor (typer app printing ok)": [sys.executable, str(HERE / "floor_app.py")],
            "salescli --help": [exe, "--help"],
            "salescli contact list": [exe, "--db", str(demo), "contact", "list"],
        }
        results = medians(commands, runs, env)
    floor = results["floor (typer app printing ok)"]
    print(f"python {sys.version.split()[0]}, {runs} runs each, medians")
    print(f"{'command':34} {'median':>9} {'x floor':>8} {'target':>7}")
    missed = False
    for name, seconds in results.items():
        ratio = seconds / floor
        target = TARGETS.get(name)
        flag = ""
        if target is not None and ratio > target:
            flag, missed = "  MISSED", True
        print(f"{name:34} {seconds * 1000:7.1f}ms {ratio:7.2f}x {f'{target}x' if target else '':>7}{flag}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
