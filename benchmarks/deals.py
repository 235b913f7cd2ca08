"""Time `deal list` and `deal show` on a 1M-deal database against the startup floor.

    python benchmarks/deals.py [--db benchmarks/data/bench-1m.db] [--runs 15] [--write-results]

Each command runs as a subprocess of the installed salescli (the one beside this python), output
to a pipe, `--runs` times after 2 warm-ups, the commands interleaved; the figure is the median.
The floor is benchmarks/floor_app.py, a one-command Typer app printing "ok", run with the same
python in the same run: what any Typer CLI costs to start. Target: each command within 2x the
floor (exit 1 when missed). The database is generated (benchmarks/generate.py)
when missing. --write-results replaces the "Deals" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-26"
FLOOR_APP = '''\
import typer

app = typer.Typer()


@app.command()
def main() -> None:
    print("ok")


app()
'''
SECTION = "## Deals: deal list / deal show on 1M deals"
NOTES = """\
What the figures rest on (EXPLAIN QUERY PLAN, no full scan for these commands):
- `deal list` picks the ids of the page on the deals table and its indexes alone, then joins names to
  those 50 rows only (`DealStore.fetch_deals`): here `deals_stage_owner (stage_id=? AND owner=?)`, covering.
  Before, SQLite walked the table in id order hoping to meet 50 matches early: a full scan when they are few.
- `--owner` matches the user's recorded spelling or the text as typed exactly (users.name is
  case-insensitive), so the owner indexes serve it; `owner = ? COLLATE NOCASE` could use none of them.
- The footer's count and per-currency totals run on `deals` alone (no join), so a covering index can
  answer them; `pipeline list/show` count deals per stage on an index (it was 6 s on this database).
- Known cost: the footer of an unfiltered `deal list` (or `--status open`) on 1M deals sums the whole
  selection: 0.2-0.6 s, most of it SQLite sorting a million rows for GROUP BY currency.
"""


def salescli_exe() -> str:
    exe = Path(sys.executable).with_name("salescli")
    return str(exe) if exe.exists() else "salescli"


def timed(cmds: list[list[str]], runs: int) -> list[float]:
    """Median wall time of each command; rounds interleave the commands so that a change in the
    machine's load touches them all alike."""
    for cmd in cmds:
        for _ in range(2):
            subprocess.run(cmd, capture_output=True, check=True)
    times: list[list[float]] = [[] for _ in cmds]
    for _ in range(runs):
        for i, cmd in enumerate(cmds):
            start = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True)
            times[i].append(time.perf_counter() - start)
            if res.returncode != 0:
                sys.exit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.decode()[:500]}")
    return [statistics.median(t) for t in times]


def pick(db: Path) -> tuple[str, int, int]:
    """An owner with Proposal deals, and a deal with history and activities (deterministic)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        owner = conn.execute(
            "SELECT owner FROM deals WHERE stage_id = (SELECT id FROM stages WHERE name = 'Proposal'"
            " AND pipeline_id = (SELECT id FROM pipelines WHERE is_default = 1)) AND owner = 'alice' LIMIT 1"
        ).fetchone()
        deal_id = conn.execute("SELECT deal_id FROM activities WHERE deal_id >= (SELECT max(id) / 2 FROM deals)"
                               " ORDER BY deal_id LIMIT 1").fetchone()[0]
        deals = conn.execute("SELECT max(id) FROM deals").fetchone()[0]
    finally:
        conn.close()
    return (owner[0] if owner else "alice"), int(deal_id), int(deals)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="deal list / deal show against the startup floor")
    parser.add_argument("--db", type=Path, default=HERE / "data" / "bench-1m.db",
                        help="a database made by benchmarks/generate.py (made when missing)")
    parser.add_argument("--deals", type=int, default=1_000_000, help="when generating the database")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write-results", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error("--runs must be at least 10")
    db: Path = args.db
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(db), "--deals", str(args.deals)], check=True)
    owner, deal_id, n_deals = pick(db)
    shown_db = os.path.relpath(db) if db.resolve().is_relative_to(Path.cwd()) else str(db)
    exe = salescli_exe()
    env_note = f"NO_COLOR=1, output to a pipe, --today {TODAY}"
    os.environ["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        floor_py = HERE / "floor_app.py"  # the floor every benchmark here compares against
        if not floor_py.exists():
            floor_py = Path(tmp) / "floor.py"
            floor_py.write_text(FLOOR_APP)
        commands = [
            ("floor: Typer app printing ok", [sys.executable, str(floor_py)]),
            (f"deal list --stage Proposal --owner {owner} --limit 50",
             [exe, "--db", str(db), "--today", TODAY, "deal", "list", "--stage", "Proposal", "--owner", owner,
              "--limit", "50"]),
            (f"deal show {deal_id}", [exe, "--db", str(db), "--today", TODAY, "deal", "show", str(deal_id)]),
        ]
        medians = timed([cmd for _label, cmd in commands], args.runs)
        results = [(label, cmd, median) for (label, cmd), median in zip(commands, medians, strict=True)]
    floor = results[0][2]
    lines = [
        "| command | median | × floor | target ≤ 2× |",
        "|---|---:|---:|---|",
    ]
    for label, _cmd, median in results:
        ratio = median / floor
        verdict = "" if label.startswith("floor") else ("met" if ratio <= 2 else "MISSED")
        lines.append(f"| `{label}` | {median * 1000:.0f} ms | {ratio:.2f} | {verdict} |")
    table = "\n".join(lines)
    print(table)
    if args.write_results:
        section = "\n".join([
            SECTION,
            "",
            f"Measured {date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores), Python"
            f" {platform.python_version()}, SQLite {sqlite3.sqlite_version}; database: {n_deals:,} deals from"
            " `benchmarks/generate.py` (3 activities per deal); medians of"
            f" {args.runs} runs after 2 warm-ups ({env_note}), the commands interleaved.",
            "",
            "Command used:",
            "",
            "```",
            f"python benchmarks/generate.py {shown_db} --deals {n_deals}   # once (made when missing)",
            f"python benchmarks/deals.py --db {shown_db} --runs {args.runs} --write-results",
            "```",
            "",
            table,
            "",
            NOTES,
        ])
        write_section(HERE / "RESULTS.md", section)
    return 0 if all(median / floor <= 2 for _label, _cmd, median in results) else 1


def write_section(path: Path, section: str) -> None:
    """Replace (or append) this benchmark's section; other sections are left as they are."""
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
