"""Generate a large, realistic salescli database for benchmarks (reusable by every feature).

    python benchmarks/generate.py PATH [--deals 1000000] [--activities 3000000] [--seed 7] [--today 2026-11-26]

The schema comes from the real thing: the file is created with `salescli --db PATH init` (same python,
so the migrations, triggers and seeded default pipeline are those of the installed salescli), then
filled with the standard library's sqlite3 in ONE transaction (executemany over generators, so memory
stays bounded), and finished with ANALYZE.

What it holds (deterministic for a given seed and --today):
- 25 owners (users), companies (deals / 20), contacts (deals / 10, unique e-mails);
- a second pipeline "Renewals" (Due, Quoted, Won, Lost) with 10% of the deals;
- deals spread over stages (55% open, 25% won, 20% lost), owners, companies, currencies
  (USD 70%, EUR 18%, GBP 8%, JPY 4%; 5% without an amount), three years of dates, 15% monthly and
  10% yearly recurring, next steps, tags; the stage_history rows of the path each deal took;
- activities (calls, e-mails, meetings, notes, tasks; ~5% tasks, some still open and overdue),
  linked to a deal and its contact and company; deals.last_activity_at follows them;
- exchange rates for EUR, GBP and JPY (monthly, base USD).

OWNERS lists the owner names (the first, "alice", owns about 1/25 of everything).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import time
from array import array
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

OWNERS = [
    "alice", "bruno", "chen", "dana", "emeka", "fatima", "goran", "hana", "ivan", "jade", "kofi", "lena", "mateo",
    "nina", "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "victor", "wen", "ximena", "yusuf",
]
SOURCES = ["web", "referral", "outbound", "event", "partner", "inbound call", None]
PRODUCTS = ["platform licence", "renewal", "expansion", "pilot", "support plan", "training", "integration"]
SYLLABLES = ["ac", "me", "glo", "bex", "ini", "tech", "um", "brel", "la", "wa", "yne", "hoo", "li", "sty", "rk",
             "vand", "ley", "cy", "ber", "dyne", "ore", "pa", "nix", "zen", "tro"]
FIRST = ["Ana", "Ben", "Carla", "David", "Elena", "Femi", "Greta", "Hugo", "Ines", "Jon", "Kira", "Luis", "Mona",
         "Nils", "Olga", "Pablo", "Rita", "Sam", "Tina", "Umar"]
LAST = ["Silva", "Meyer", "Novak", "Okafor", "Rossi", "Tanaka", "Dubois", "Kowalski", "Haddad", "Larsen"]
CURRENCIES = [("USD", 70), ("EUR", 18), ("GBP", 8), ("JPY", 4)]
OPEN_WEIGHTS = [30, 25, 20, 15, 10]  # Prospecting .. Negotiation
ACTIVITY_KINDS = [("call", 35), ("email", 35), ("meeting", 15), ("note", 10), ("task", 5)]
SUBJECTS = {
    "call": ["Discovery call", "Follow-up call", "Pricing call", "Check-in call"],
    "email": ["Sent proposal", "Sent pricing", "Answered questions", "Intro e-mail"],
    "meeting": ["Demo", "On-site meeting", "Contract review", "Kick-off"],
    "note": ["Budget confirmed", "Competitor involved", "Champion identified", "Legal review"],
    "task": ["Send contract", "Prepare quote", "Call back", "Book demo"],
}
DAYS = 3 * 365  # history spans three years before --today


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> list[str]:
    """A 100-slot table so a choice is one rng call."""
    table: list[str] = []
    for value, weight in pairs:
        table += [value] * weight
    return table


_LOADED = ("companies", "contacts", "deals", "stage_history", "activities")


def _defer_indexes_and_search(conn: sqlite3.Connection) -> list[str]:
    """Drop the loaded tables' indexes and search triggers for the load (one sort per index afterwards
    and one bulk search-index insert are many times faster than row by row); returns their SQL."""
    marks = ", ".join("?" for _ in _LOADED)
    rows = conn.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL"
        " AND (type = 'index' OR (type = 'trigger' AND name LIKE '%search_ai'))", _LOADED).fetchall()
    for kind, name, _sql in rows:
        conn.execute(f"DROP {kind.upper()} {name}")
    return [sql for _kind, _name, sql in rows]


def _restore_indexes_and_search(conn: sqlite3.Connection, deferred: list[str]) -> None:
    """Fill search_index exactly as the insert triggers would have, then recreate indexes and triggers."""
    from salescli.migrations import _SEARCHED  # the triggers' own definition: table, kind, title, body, offset

    for table, kind, title, body, offset in _SEARCHED:
        joined = " || ' ' || ".join(f"coalesce({col}, '')" for col in body)
        conn.execute(
            "INSERT INTO search_index(rowid, kind, entity_id, title, body)"
            f" SELECT id * 4 + {offset}, {kind.replace('new.', '')}, id, {title}, {joined} FROM {table}")
    for sql in deferred:
        conn.execute(sql)


def _salescli_init(path: Path, today: str) -> None:
    cmd = [sys.executable, "-m", "salescli", "--db", str(path), "--today", today, "--user", "generator", "init"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"salescli init failed ({res.returncode}): {res.stderr.strip()}")


class Generator:
    def __init__(self, conn: sqlite3.Connection, deals: int, activities: int, seed: int, today: date) -> None:
        self.conn = conn
        self.n_deals = deals
        self.n_activities = activities
        self.rng = random.Random(seed)
        self.today = today
        self.day0 = today - timedelta(days=DAYS)
        self.n_companies = max(1, deals // 20)
        self.n_contacts = max(1, deals // 10)
        # per deal, what activities need: created/end day offsets, owner, company, contact
        self.created = array("i", bytes(4 * deals))
        self.ended = array("i", bytes(4 * deals))
        self.owner = array("b", bytes(deals))
        self.company = array("i", bytes(4 * deals))
        self.contact = array("i", bytes(4 * deals))
        self.last_activity = array("i", [-1]) * deals
        self.contact_company = array("i", bytes(4 * (self.n_contacts + 1)))
        self._days = [(self.day0 + timedelta(days=i)).isoformat() for i in range(DAYS + 200)]
        self._names = [""] + [self._company_name(i) for i in range(1, self.n_companies + 1)]

    def day(self, offset: int) -> str:
        if 0 <= offset < len(self._days):
            return self._days[offset]
        return (self.day0 + timedelta(days=offset)).isoformat()

    # -- reference data --------------------------------------------------------------------------
    def users(self) -> None:
        now = f"{self.day0.isoformat()}T00:00:00"
        self.conn.executemany("INSERT OR IGNORE INTO users (name, team, created_at) VALUES (?, ?, ?)",
                              [(o, f"team {i % 4 + 1}", now) for i, o in enumerate(OWNERS)])

    @staticmethod
    def _company_name(i: int) -> str:
        rng = random.Random(i * 7919)
        return "".join(rng.choice(SYLLABLES) for _ in range(2 + i % 2)).capitalize() + f" {i}"

    def company_name(self, i: int) -> str:
        return self._names[i]

    def companies(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        segments = ["saas", "enterprise", "b2b", "b2c", "smb"]
        industries = ["software", "retail", "finance", "health", "manufacturing", "media"]
        for i in range(1, self.n_companies + 1):
            created = self.day(rng.randrange(DAYS // 2))
            yield (i, self.company_name(i), f"c{i}.example.com", rng.choice(industries), rng.choice(segments),
                   rng.choice(["north", "south", "east", "west"]), OWNERS[i % len(OWNERS)], "[]",
                   f"{created}T00:00:00", f"{created}T00:00:00")

    def contacts(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        for i in range(1, self.n_contacts + 1):
            company = rng.randrange(1, self.n_companies + 1)
            self.contact_company[i] = company
            first, last = rng.choice(FIRST), rng.choice(LAST)
            created = self.day(rng.randrange(DAYS // 2))
            yield (i, f"{first} {last}", f"{first.lower()}.{last.lower()}{i}@c{company}.example.com",
                   rng.choice(["CEO", "CTO", "Head of Sales", "Buyer", "Engineer", None]), company,
                   OWNERS[company % len(OWNERS)], rng.choice(["lead", "prospect", "customer"]),
                   f"{created}T00:00:00", f"{created}T00:00:00")

    def pipelines(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        now = f"{self.day0.isoformat()}T00:00:00"
        cur = self.conn.execute("INSERT INTO pipelines (name, is_default, created_at) VALUES ('Renewals', 0, ?)",
                                (now,))
        renewals_id = cur.lastrowid
        for pos, (name, prob, kind) in enumerate(
            [("Due", 30, "open"), ("Quoted", 60, "open"), ("Won", 100, "won"), ("Lost", 0, "lost")], start=1
        ):
            self.conn.execute(
                "INSERT INTO stages (pipeline_id, name, position, probability, kind, rot_days, required_fields)"
                " VALUES (?, ?, ?, ?, ?, ?, '[]')",
                (renewals_id, name, pos, prob, kind, 21 if kind == "open" else None))
        default_id = self.conn.execute("SELECT id FROM pipelines WHERE is_default = 1").fetchone()[0]

        def stages(pid: int) -> list[dict[str, Any]]:
            rows = self.conn.execute(
                "SELECT id, name, probability, kind, pipeline_id FROM stages WHERE pipeline_id = ? ORDER BY position",
                (pid,))
            return [dict(zip(("id", "name", "probability", "kind", "pipeline_id"), r, strict=True)) for r in rows]

        return stages(default_id), stages(renewals_id)

    def fx_rates(self) -> None:
        base = {"EUR": 1.08, "GBP": 1.27, "JPY": 0.0067}
        rows = []
        for month in range(0, 37):
            as_of = date(self.day0.year, self.day0.month, 1) + timedelta(days=31 * month)
            as_of = as_of.replace(day=1)
            for cur, rate in base.items():
                wobble = 1 + ((month * 37 + len(cur)) % 11 - 5) / 200
                rows.append((cur, f"{rate * wobble:.6g}", as_of.isoformat()))
        self.conn.executemany("INSERT OR REPLACE INTO fx_rates (currency, rate, as_of) VALUES (?, ?, ?)", rows)

    # -- deals and their history -----------------------------------------------------------------
    def deals(self, default: list[dict[str, Any]], renewals: list[dict[str, Any]],
              history: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        currencies = _weighted(rng, CURRENCIES)
        open_table = [i for i, w in enumerate(OPEN_WEIGHTS) for _ in range(w)]
        won = {p[0]["pipeline_id"]: next(s for s in p if s["kind"] == "won") for p in (default, renewals)}
        lost = {p[0]["pipeline_id"]: next(s for s in p if s["kind"] == "lost") for p in (default, renewals)}
        categories = ["competitor", "no_decision", "price", "timing", "disqualified", "other"]
        reasons = ["went with a competitor", "no budget this year", "too expensive", "project postponed",
                   "not a fit", "no reply"]
        for i in range(self.n_deals):
            deal_id = i + 1
            is_renewal = rng.random() < 0.10
            stages = renewals if is_renewal else default
            opens = [s for s in stages if s["kind"] == "open"]
            created = rng.randrange(DAYS)
            roll = rng.random()
            status = "open" if roll < 0.55 else ("won" if roll < 0.80 else "lost")
            if status == "open":
                depth = open_table[rng.randrange(100)] if not is_renewal else rng.randrange(len(opens))
                depth = min(depth, len(opens) - 1)
                path = opens[: depth + 1]
            else:
                depth = rng.randrange(len(opens))
                path = opens[: depth + 1] + [(won if status == "won" else lost)[stages[0]["pipeline_id"]]]
            # dates along the path: each step 1..25 days after the previous one, never after today
            day = created
            steps = []
            for stage in path:
                steps.append((stage, min(day, DAYS)))
                day += rng.randrange(1, 26)
            end = steps[-1][1] if status != "open" else DAYS
            prev = None
            owner_index = rng.randrange(len(OWNERS))
            owner = OWNERS[owner_index]
            for stage, at in steps:
                history.append((deal_id, prev, stage["id"], f"{self.day(at)}T00:00:00", owner, None, 0))
                prev = stage["id"]
            stage = path[-1]
            contact = rng.randrange(1, self.n_contacts + 1) if rng.random() < 0.85 else 0
            company = self.contact_company[contact] if contact else rng.randrange(1, self.n_companies + 1)
            self.created[i], self.ended[i] = created, end
            self.owner[i], self.company[i], self.contact[i] = owner_index, company, contact
            currency = currencies[rng.randrange(100)]
            if rng.random() < 0.05:
                amount = None
            else:
                major = int(rng.lognormvariate(9.6, 1.0))  # median ~15k
                amount = major * 150 if currency == "JPY" else major * 100
            probability = stage["probability"]
            category = ("closed" if status != "open" else
                        "commit" if probability >= 80 else "best_case" if probability >= 50 else "pipeline")
            close = created + rng.randrange(20, 120)
            has_next = status == "open" and rng.random() < 0.6
            recurring_roll = rng.random()
            recurring = "month" if recurring_roll < 0.15 else ("year" if recurring_roll < 0.25 else "none")
            lost_index = rng.randrange(len(reasons))
            yield (
                deal_id, f"{self.company_name(company)} {PRODUCTS[deal_id % len(PRODUCTS)]}", company,
                contact or None, stage["pipeline_id"], stage["id"], status, amount, currency, probability, category,
                self.day(min(close, DAYS + 90)), owner, SOURCES[deal_id % len(SOURCES)],
                "follow up" if has_next else None,
                self.day(min(DAYS + 14, end - 10 + rng.randrange(30))) if has_next else None,
                recurring,
                self.day(end) if status == "won" else None,
                self.day(end) if status == "lost" else None,
                reasons[lost_index] if status == "lost" else None,
                categories[lost_index] if status == "lost" else None,
                '["renewal"]' if is_renewal else ("[\"strategic\"]" if deal_id % 17 == 0 else "[]"),
                f"{self.day(created)}T00:00:00", f"{self.day(end)}T00:00:00", f"{self.day(steps[-1][1])}T00:00:00",
            )

    # -- activities ------------------------------------------------------------------------------
    def activities(self) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        kinds = _weighted(rng, ACTIVITY_KINDS)
        n = self.n_deals
        for i in range(self.n_activities):
            d = rng.randrange(n)
            start, end = self.created[d], self.ended[d]
            at = start + rng.randrange(max(1, end - start + 1))
            at = min(at, DAYS)
            kind = kinds[rng.randrange(100)]
            if at > self.last_activity[d]:
                self.last_activity[d] = at
            occurred = self.day(at)
            due = done = None
            if kind == "task":
                due_day = at + rng.randrange(1, 15)
                due = self.day(due_day)
                # most tasks are done; recent ones (and a few old ones) are still open
                if due_day < DAYS - 20 and rng.random() < 0.95:
                    done = f"{self.day(min(due_day, DAYS))}T00:00:00"
            contact = self.contact[d]
            yield (
                i + 1, kind, rng.choice(SUBJECTS[kind]), "notes from the conversation" if i % 3 == 0 else None,
                d + 1, contact or None, self.company[d], OWNERS[self.owner[d]], occurred, due, done,
                f"{occurred}T00:00:00", f"{occurred}T00:00:00",
            )

    def last_activity_rows(self) -> Iterator[tuple[str, int]]:
        for d in range(self.n_deals):
            if self.last_activity[d] >= 0:
                yield (f"{self.day(self.last_activity[d])}T00:00:00", d + 1)

    # -- all of it -------------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        timings: dict[str, float] = {}
        conn = self.conn

        def step(name: str, started: float) -> float:
            now = time.perf_counter()
            timings[name] = now - started
            print(f"  {name:<16} {now - started:7.1f} s", file=sys.stderr)
            return now

        t = time.perf_counter()
        conn.execute("BEGIN")
        deferred = _defer_indexes_and_search(conn)
        self.users()
        conn.executemany(
            "INSERT INTO companies (id, name, domain, industry, segment, territory, owner, tags, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.companies())
        t = step("companies", t)
        conn.executemany(
            "INSERT INTO contacts (id, name, email, title, company_id, owner, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self.contacts())
        t = step("contacts", t)
        default, renewals = self.pipelines()
        self.fx_rates()
        history: list[tuple[Any, ...]] = []
        batch = 100_000
        gen = self.deals(default, renewals, history)
        while True:
            chunk = [row for _, row in zip(range(batch), gen, strict=False)]
            if not chunk:
                break
            conn.executemany(
                "INSERT INTO deals (id, title, company_id, contact_id, pipeline_id, stage_id, status, amount_minor,"
                " currency, probability, forecast_category, expected_close, owner, source, next_step,"
                " next_step_date, recurring, won_at, lost_at, lost_reason, lost_category, tags, created_at,"
                " updated_at, stage_entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " ?, ?, ?, ?, ?, ?)", chunk)
            conn.executemany(
                "INSERT INTO stage_history (deal_id, from_stage_id, to_stage_id, changed_at, changed_by, note,"
                " forced) VALUES (?, ?, ?, ?, ?, ?, ?)", history)
            history.clear()
        t = step("deals+history", t)
        conn.executemany(
            "INSERT INTO activities (id, kind, subject, body, deal_id, contact_id, company_id, owner, occurred_at,"
            " due_date, done_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.activities())
        t = step("activities", t)
        conn.executemany("UPDATE deals SET last_activity_at = ? WHERE id = ?", self.last_activity_rows())
        t = step("last activity", t)
        _restore_indexes_and_search(conn, deferred)
        t = step("indexes+search", t)
        conn.execute("COMMIT")
        t = step("commit", t)
        conn.execute("ANALYZE")
        step("analyze", t)
        return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("path", type=Path, help="database file to create (must not exist unless --force)")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=None, help="default: 3 x deals")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", default="2026-11-26", help="the last day of the generated history")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    path: Path = args.path
    activities = 3 * args.deals if args.activities is None else args.activities
    if path.exists():
        if not args.force:
            print(f"{path} exists (pass --force to replace it)", file=sys.stderr)
            return 1
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    _salescli_init(path, args.today)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = MEMORY")  # one big load; back to WAL afterwards
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -400000")
        conn.execute("PRAGMA temp_store = MEMORY")
        print(f"generating {args.deals:,} deals and {activities:,} activities into {path}", file=sys.stderr)
        Generator(conn, args.deals, activities, args.seed, date.fromisoformat(args.today)).run()
        conn.execute("PRAGMA journal_mode = WAL")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("companies", "contacts", "deals", "stage_history", "activities")}
    finally:
        conn.close()
    print(json.dumps({"path": str(path), "seconds": round(time.perf_counter() - started, 1), **counts}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
