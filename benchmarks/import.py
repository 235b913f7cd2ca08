"""Import speed and memory: `salescli import deals` against the sqlite3 shell and sqlite-utils.

    .venv/bin/python benchmarks/import.py [--rows 1000000] [--small 100000] [--skip-sqlite-utils]

Generates a deals CSV (external id, title, company by name, contact by e-mail, amount, currency,
stage, close date, owner, created date; 5,000 companies and 20,000 contacts referenced, created by
the import itself), then times, in the same run and on the same file:

- `salescli import deals FILE` into a new database (every check, dedupe, history, change log,
  full-text index, one transaction);
- the sqlite3 shell: `.import --csv FILE deals` into a bare table (no types, indexes or checks);
- `sqlite-utils insert DB deals FILE --csv` (from the venv);
- the schema's own cost: the rows salescli wrote, copied by the sqlite3 shell into an empty salescli
  database the way salescli writes them (one transaction, non-unique indexes dropped and rebuilt,
  the full-text index filled by one INSERT … SELECT, foreign keys and secure_delete on, as salescli
  opens every database) — no CSV, no Python: what this schema costs in SQLite alone, which no
  importer of it can beat.

Wall time and peak RSS of each child (os.wait4). Memory must not grow with the file: salescli runs
on --small rows too. Targets: salescli <= 4x the sqlite3 shell, >= 5x faster than sqlite-utils,
peak RSS <= 150 MB. Exit 1 when a target is missed. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

STAGES = [("Prospecting", 20), ("Qualification", 20), ("Needs Analysis", 12), ("Proposal", 10),
          ("Negotiation", 8), ("Won", 18), ("Lost", 12)]
OWNERS = ["alice", "bruno", "chen", "dana", "emeka", "fatima", "goran", "hana", "ivan", "jade", "kofi", "lena"]
WORDS = ("Platform Renewal Upgrade Expansion Pilot Licence Support Rollout Migration Analytics Security Cloud"
         " Training Hardware Integration Consulting").split()
TARGET_SHELL = 4.0
TARGET_SQLITE_UTILS = 5.0
TARGET_RSS_MB = 150


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A deals CSV a CRM might export; deterministic for a seed."""
    rng = random.Random(seed)
    companies = [f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i} Ltd" for i in range(5000)]
    contacts = [(f"person{i}@{companies[i % 5000].split()[2]}.example.com", companies[i % 5000]) for i in range(20000)]
    stage_names = [s for s, _ in STAGES]
    weights = [w for _, w in STAGES]
    start = date(2024, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Deal ID", "Deal Name", "Company", "Contact email", "Amount", "Currency", "Stage",
                         "Close Date", "Owner", "Created"])
        for i in range(rows):
            email, company = contacts[rng.randrange(20000)]
            created = start + timedelta(days=rng.randrange(700))
            close = created + timedelta(days=rng.randrange(10, 200))
            stage = rng.choices(stage_names, weights)[0]
            amount = "" if rng.random() < 0.05 else f"{rng.randrange(500, 250_000)}.{rng.randrange(100):02d}"
            writer.writerow([f"D-{i:08d}", f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}", company, email, amount,
                             "USD" if rng.random() < 0.8 else "EUR", stage, close.isoformat(), rng.choice(OWNERS),
                             created.isoformat()])


def measure(argv: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one child process; fails loudly if it fails."""
    start = time.perf_counter()
    with open(stdin or os.devnull, "rb") as inp:
        proc = subprocess.Popen(argv, stdin=inp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


#: The tables an import of deals fills, in foreign-key order, and the ones it grows in bulk.
FILLED = ("import_batches", "users", "companies", "contacts", "deals", "stage_history", "changes")
BULK = ("deals", "stage_history", "changes")


def floor_script(source: Path) -> str:
    """SQL that copies what salescli wrote into a new salescli database as salescli writes it."""
    from salescli.repository.imports import _TRIGGER_BODY_RE

    con = sqlite3.connect(source)
    try:
        marks = ",".join("?" * len(BULK))
        indexes = con.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                              f" AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%'", BULK).fetchall()
        trigger = con.execute("SELECT sql FROM sqlite_master WHERE name = 'deals_search_ai'").fetchone()[0]
    finally:
        con.close()
    body = _TRIGGER_BODY_RE.search(trigger)
    assert body is not None
    lines = ["PRAGMA foreign_keys = ON;", "PRAGMA secure_delete = ON;", "PRAGMA cache_size = -49152;",
             f"ATTACH '{source}' AS src;", "BEGIN IMMEDIATE;", "DROP TRIGGER deals_search_ai;"]
    lines += [f'DROP INDEX "{name}";' for name, _ in indexes]
    lines += [f"INSERT INTO main.{table} SELECT * FROM src.{table};" for table in FILLED]
    lines.append(f"INSERT INTO search_index ({body.group('cols')}) SELECT {body.group('values')}"
                 " FROM deals AS new ORDER BY new.id;")
    lines.append("PRAGMA cache_size = -16384;")
    lines += [f"{sql};" for _, sql in indexes]
    lines += [f"{trigger};", "COMMIT;"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="rows of the memory comparison run")
    parser.add_argument("--skip-sqlite-utils", action="store_true", help="it takes about a minute per million rows")
    parser.add_argument("--keep", help="folder to keep the files in (default: a temporary one)")
    args = parser.parse_args()

    salescli = shutil.which("salescli", path=os.path.dirname(sys.executable))
    sqlite3_shell = shutil.which("sqlite3")
    sqlite_utils = shutil.which("sqlite-utils", path=os.path.dirname(sys.executable))
    if salescli is None:
        sys.exit("salescli is not installed beside this python (pip install -e .)")
    if sqlite3_shell is None:
        sys.exit("the sqlite3 shell is missing (apt-get install -y sqlite3)")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="salescli-import-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SALESCLI_USER": "bench"}
    env.pop("SALESCLI_DB", None)
    results: dict[str, tuple[float, float]] = {}
    try:
        big = folder / f"deals-{args.rows}.csv"
        small = folder / f"deals-{args.small}.csv"
        t0 = time.perf_counter()
        generate(big, args.rows)
        generate(small, args.small)
        print(f"generated {big.name} ({big.stat().st_size / 1e6:.0f} MB) and {small.name}"
              f" in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

        def salescli_run(csv_file: Path, name: str) -> tuple[float, float]:
            db = folder / f"{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            return measure([salescli, "--db", str(db), "--today", "2026-11-26", "import", "deals", str(csv_file),
                            "--no-progress"], env)

        def shell_run() -> tuple[float, float]:
            db = folder / "shell.db"
            db.unlink(missing_ok=True)
            return measure([sqlite3_shell, str(db), f".import --csv {big} deals"])

        def floor_run() -> tuple[float, float]:
            db = folder / "floor.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            subprocess.run([salescli, "--db", str(db), "init"], env=env, check=True, capture_output=True)
            script = folder / "floor.sql"
            script.write_text(floor_script(folder / "salescli.db"), encoding="utf-8")
            return measure([sqlite3_shell, str(db)], stdin=str(script))

        def sqlite_utils_run() -> tuple[float, float]:
            assert sqlite_utils is not None
            db = folder / "sqlite-utils.db"
            db.unlink(missing_ok=True)
            return measure([sqlite_utils, "insert", str(db), "deals", str(big), "--csv"])

        results["sqlite3 shell `.import --csv` (bare table)"] = shell_run()
        results[f"salescli import deals ({args.rows:,} rows)"] = salescli_run(big, "salescli")
        results[f"salescli import deals ({args.small:,} rows)"] = salescli_run(small, "salescli-small")
        results["the schema's own cost: the same rows copied by SQL (no CSV, no Python)"] = floor_run()
        if not args.skip_sqlite_utils and sqlite_utils is not None:
            results["sqlite-utils insert --csv"] = sqlite_utils_run()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    shell = results["sqlite3 shell `.import --csv` (bare table)"][0]
    ours, ours_rss = results[f"salescli import deals ({args.rows:,} rows)"]
    small_rss = results[f"salescli import deals ({args.small:,} rows)"][1]
    print(f"| run ({args.rows:,}-row deals CSV) | wall | peak RSS |")
    print("|---|---:|---:|")
    for name, (seconds, rss) in results.items():
        print(f"| {name} | {seconds:.1f} s | {rss:.0f} MB |")
    failed = False
    ratio = ours / shell
    print(f"\nsalescli / sqlite3 shell: {ratio:.2f}x (target <= {TARGET_SHELL}x)")
    floor = results["the schema's own cost: the same rows copied by SQL (no CSV, no Python)"][0]
    print(f"schema's own cost / sqlite3 shell: {floor / shell:.2f}x; salescli / schema's own cost: {ours / floor:.2f}x")
    failed |= ratio > TARGET_SHELL
    if "sqlite-utils insert --csv" in results:
        speedup = results["sqlite-utils insert --csv"][0] / ours
        print(f"sqlite-utils / salescli: {speedup:.2f}x faster (target >= {TARGET_SQLITE_UTILS}x)")
        failed |= speedup < TARGET_SQLITE_UTILS
    print(f"peak RSS: {ours_rss:.0f} MB for {args.rows:,} rows, {small_rss:.0f} MB for {args.small:,}"
          f" (target <= {TARGET_RSS_MB} MB, not growing with the file)")
    failed |= ours_rss > TARGET_RSS_MB
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
