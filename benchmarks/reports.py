"""Every report on a 1M-deal / 3M-activity database, side by side with the sqlite3 shell running its SQL.

    python benchmarks/reports.py [--db /tmp/salescli-bench/sales-1m.db] [--runs 5] [--write-results]

For each report the SQL it runs is captured once (the sqlite3 trace callback, with bound values, in a
helper process that runs salescli in-process), then in each round, interleaved: the startup floor (a
one-command Typer app printing "ok"), the sqlite3 shell running that SQL (`sqlite3 DB < report.sql`,
output to /dev/null), and `salescli report NAME` as a user runs it (table on a pipe; the weekly one also
as the HTML file cron mails). Target: salescli <= 1.5 x (floor + sqlite3), and peak RSS < 150 MB
(ru_maxrss of the salescli process). The figure is the median of --runs rounds.
--write-results replaces the "Reports" section of benchmarks/RESULTS.md.
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
SECTION = "## Reports: every report on 1M deals / 3M activities"
NOTE = """\
Targets: salescli ≤ 1.5× (floor + sqlite3) and peak RSS < 150 MB: met by every report. What it took
(schema migration `m006_report_indexes`): deals closed in a period found by partial indexes on
won_at/lost_at, the open pipeline (stage, currency, category, amount, probability and every column of the
stale test) answered from one covering partial index (`report pipeline` 2.6 s -> 0.6 s of SQL), stage
history by day and by (deal, stage), the change log by (entity, day); long lists read only the rows a
table shows (SQL LIMIT, the wide deal rows fetched for those only). The slowest SQL is the stage-history
work: empirical stage win rates (~2 s, `forecast`, `weekly`), `--as-of` (window over 3M history rows,
~4.5 s) and the insights' median stay per stage over the last year (~9 s) — the same in the sqlite3 shell.
The `--by` variants were added 2026-11-27. A first run had `report lost-reasons --by segment` at 1.58× (0.1 s
of SQL; the rest start-up): reports loaded the pydantic record models through services/activities.py for
two settings; `period_settings` moved to services/config.py, and this run has it at 1.42×.
"""
LIMIT, RSS_LIMIT_MB = 1.5, 150
REPORTS: list[tuple[str, list[str]]] = [
    ("report pipeline", ["report", "pipeline"]),
    ("report pipeline --as-of 2026-10-31", ["report", "pipeline", "--as-of", "2026-10-31"]),
    ("report forecast", ["report", "forecast"]),
    ("report forecast --by owner", ["report", "forecast", "--by", "owner"]),
    ("report performance", ["report", "performance"]),
    ("report velocity", ["report", "velocity"]),
    ("report funnel", ["report", "funnel"]),
    ("report funnel --by owner", ["report", "funnel", "--by", "owner"]),
    ("report activity", ["report", "activity"]),
    ("report activity --by segment", ["report", "activity", "--by", "segment"]),
    ("report performance --by source", ["report", "performance", "--by", "source"]),
    ("report stale", ["report", "stale"]),
    ("report stale --by owner --period this-quarter", ["report", "stale", "--by", "owner", "--period", "this-quarter"]),
    ("report lost-reasons", ["report", "lost-reasons"]),
    ("report lost-reasons --by segment", ["report", "lost-reasons", "--by", "segment"]),
    ("report weekly", ["report", "weekly"]),
    ("report weekly -f html -o week.html", ["report", "weekly", "-f", "html", "-o", "{tmp}/week.html"]),
    ("report forecast-accuracy", ["report", "forecast-accuracy"]),
    ("insights", ["insights"]),
]
# Runs salescli in-process with every connection traced; writes the statements, one per line block.
TRACER = '''
import sqlite3, sys
out, argv = sys.argv[1], sys.argv[2:]
statements = []
connect = sqlite3.connect
def traced(*args, **kwargs):
    conn = connect(*args, **kwargs)
    conn.set_trace_callback(statements.append)
    return conn
sqlite3.connect = traced
from salescli.cli import app
try:
    app(argv, prog_name="salescli")
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
with open(out, "w") as fh:
    for s in statements:
        if s.lstrip().upper().startswith(("SELECT", "WITH")) and "sqlite_master" not in s:
            fh.write(s.rstrip().rstrip(";") + ";\\n")
'''


def salescli_exe() -> str:
    exe = Path(sys.executable).with_name("salescli")
    return str(exe) if exe.exists() else "salescli"


def run(cmd: list[str], stdin: Path | None = None, stdout_to_null: bool = False) -> tuple[float, int]:
    """Wall time and peak RSS (KB, the child's own ru_maxrss) of one subprocess; stdout read from a pipe."""
    with tempfile.TemporaryFile() as err, open(stdin or os.devnull, "rb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=fh, stderr=err,
                                stdout=subprocess.DEVNULL if stdout_to_null else subprocess.PIPE)
        if proc.stdout is not None:
            while proc.stdout.read(1 << 16):
                pass
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 6):
            err.seek(0)
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.read().decode()[:500]}")
    return elapsed, usage.ru_maxrss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "salescli-bench" / "sales-1m.db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="run only the reports whose label contains this text")
    parser.add_argument("--write-results", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args(argv)
    db: Path = args.db
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(db)], check=True)
    exe = salescli_exe()
    base = [exe, "--db", str(db), "--today", TODAY]
    env = {"NO_COLOR": "1", "COLUMNS": "80", "SALESCLI_USER": "bench"}
    os.environ.update(env)
    subprocess.run([*base, "forecast", "snapshot"], check=True, capture_output=True)  # what cron stores weekly
    reports = [r for r in REPORTS if not args.only or args.only in r[0]]
    with tempfile.TemporaryDirectory() as tmp:
        sql_files: dict[str, tuple[Path, int]] = {}
        for label, cmd in reports:
            sql = Path(tmp) / f"{len(sql_files)}.sql"
            argv_ = [a.format(tmp=tmp) for a in cmd]
            subprocess.run([sys.executable, "-c", TRACER, str(sql), "--db", str(db), "--today", TODAY, *argv_],
                           check=True, capture_output=True)
            text = sql.read_text()
            sql_files[label] = (sql, text.count(";\n"))
        floor_cmd = [sys.executable, str(HERE / "floor_app.py")]
        times: dict[str, dict[str, list[float]]] = {label: {"floor": [], "sqlite": [], "salescli": []}
                                                     for label, _ in reports}
        rss: dict[str, int] = {}
        for _ in range(args.runs + 1):  # the first round warms the page cache and is not counted
            for label, cmd in reports:
                t_floor, _ = run(floor_cmd)
                t_sql, _ = run(["sqlite3", str(db)], stdin=sql_files[label][0], stdout_to_null=True)
                t_cli, peak = run([*base, *(a.format(tmp=tmp) for a in cmd)])
                rss[label] = max(rss.get(label, 0), peak)
                for key, value in (("floor", t_floor), ("sqlite", t_sql), ("salescli", t_cli)):
                    times[label][key].append(value)
    lines = [
        "| command | statements | floor | sqlite3 | salescli | limit 1.5×(floor+sqlite3) | ratio | peak RSS | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    missed = False
    for label, _cmd in reports:
        t = {k: statistics.median(v[1:]) for k, v in times[label].items()}
        limit = LIMIT * (t["floor"] + t["sqlite"])
        peak_mb = rss[label] / 1024
        ok = t["salescli"] <= limit and peak_mb < RSS_LIMIT_MB
        missed |= not ok
        lines.append(f"| `{label}` | {sql_files[label][1]} | {t['floor']:.2f} s | {t['sqlite']:.2f} s |"
                     f" {t['salescli']:.2f} s | {limit:.2f} s | {t['salescli'] / (t['floor'] + t['sqlite']):.2f} |"
                     f" {peak_mb:.0f} MB | {'met' if ok else 'MISSED'} |")
    table = "\n".join(lines)
    print(table)
    if args.write_results:
        n_deals = sqlite3.connect(f"file:{db}?mode=ro", uri=True).execute("SELECT count(*) FROM deals").fetchone()[0]
        section = "\n".join([
            SECTION, "",
            f"Measured {date.today().isoformat()} on {platform.machine()} ({os.cpu_count()} cores, shared with other"
            f" work), Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; database: {n_deals:,}"
            " deals, 3M activities from `benchmarks/generate.py`. Medians of"
            f" {args.runs} interleaved rounds after a warm-up round; `--today {TODAY}`, NO_COLOR=1, COLUMNS=80,"
            " output to a pipe. \"sqlite3\" is the sqlite3 shell running every statement the report ran (captured"
            " with their bound values), output to /dev/null; ratio = salescli / (floor + sqlite3).",
            "", "```", f"python benchmarks/reports.py --db {db} --runs {args.runs} --write-results", "```", "",
            table, "", NOTE, "",  # a blank line before the next section
        ])
        write_section(HERE / "RESULTS.md", section)
    return 1 if missed else 0


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
