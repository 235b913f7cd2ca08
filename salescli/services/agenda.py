"""The `today` screen: what needs doing now, for one person or everyone.

Six sections, each a list with a total: overdue tasks, tasks due today, open deals whose next
step is due today, open deals whose expected close is within 7 days, stale deals (the deals
module's definition: idle past the stage's rot days, or close / next-step date passed; parked
deals excluded until their date), and open deals without a next step. Laid out as plain text
that fits 80 columns (no rich: the screen people open first thing should appear at once), or
JSON for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

CLOSING_DAYS = 7
SECTIONS = ("overdue_tasks", "due_today", "next_steps_today", "closing_soon", "stale_deals", "no_next_step")
HEADINGS = {
    "overdue_tasks": "Overdue tasks",
    "due_today": "Due today",
    "next_steps_today": "Next steps due today",
    "closing_soon": f"Closing within {CLOSING_DAYS} days",
    "stale_deals": "Stale deals",
    "no_next_step": "Open deals without a next step",
}
WIDTH = 80


@dataclass
class Agenda:
    today: date
    owner: str | None  # None: everyone
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


def build_agenda(repo: Repository, today: date, owner: str | None, limit: int | None) -> Agenda:
    """Every section for owner (None: everyone), at most limit rows each (None: all)."""
    from salescli.services.config import stale_days as default_stale_days

    stale_days = default_stale_days(repo.settings())
    who = repo.user_spelling(owner) if owner is not None else None
    day = today.isoformat()
    tomorrow = (today + timedelta(days=1)).isoformat()
    until = (today + timedelta(days=CLOSING_DAYS + 1)).isoformat()  # exclusive: today + 7 included
    agenda = Agenda(today, who)
    found: dict[str, tuple[list[Row], int]] = {
        "overdue_tasks": repo.open_tasks_due(who, None, day, limit, day),
        "due_today": repo.open_tasks_due(who, day, tomorrow, limit, day),
        "next_steps_today": repo.agenda_deals("next_step_today", who, day, until, stale_days, limit),
        "closing_soon": repo.agenda_deals("closing_soon", who, day, until, stale_days, limit),
        "stale_deals": repo.agenda_deals("stale", who, day, until, stale_days, limit),
        "no_next_step": repo.agenda_deals("no_next_step", who, day, until, stale_days, limit),
    }
    for name, (rows, total) in found.items():
        view = _task if name in ("overdue_tasks", "due_today") else _deal
        agenda.sections[name] = [view(r, today, stale_days, name) for r in rows]
        agenda.totals[name] = total
    return agenda


def empty_agenda_hint(repo: Repository, agenda: Agenda) -> str | None:
    """For an empty agenda of someone who owns no open deal: whose agenda there is to see instead."""
    if agenda.owner is None or any(agenda.totals.values()):
        return None
    owners = repo.open_deal_owners()
    if not owners or any(r["owner"] == agenda.owner for r in owners):
        return None
    listed = ", ".join(f"{r['owner']} ({r['deals']:,})" for r in owners[:5]) + (", …" if len(owners) > 5 else "")
    return (f"{agenda.owner} owns no open deal; open deals belong to {listed}:"
            f" try `salescli today --all` or `salescli today --owner {owners[0]['owner']}`")


def _days_between(earlier: str | None, later: date) -> int | None:
    if not earlier:
        return None
    try:
        return (later - date.fromisoformat(earlier[:10])).days
    except ValueError:
        return None


def _task(row: Row, today: date, stale_days: int, section: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "subject": row["subject"],
        "due_date": row["due_date"],
        "days_overdue": max(0, _days_between(row["due_date"], today) or 0),
        "owner": row["owner"],
        "deal_id": row["deal_id"],
        "deal": row["deal"],
        "contact_id": row["contact_id"],
        "contact": row["contact"],
        "company_id": row["company_id"],
        "company": row["company"],
    }


def _deal(row: Row, today: date, stale_days: int, section: str) -> dict[str, Any]:
    from salescli.values import minor_to_decimal

    idle_since = last_touch(row)
    out: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "company_id": row["company_id"],
        "company": row["company"],
        "stage": row["stage"],
        "amount": minor_to_decimal(row["amount_minor"], row["currency"]) if row["amount_minor"] is not None
        else None,
        "amount_minor": row["amount_minor"],
        "currency": row["currency"],
        "expected_close": row["expected_close"],
        "days_to_close": -d if (d := _days_between(row["expected_close"], today)) is not None else None,
        "owner": row["owner"],
        "next_step": row["next_step"],
        "next_step_date": row["next_step_date"],
        "days_to_next_step": -d if (d := _days_between(row["next_step_date"], today)) is not None else None,
        "last_activity_at": row["last_activity_at"],
        "days_idle": _days_between(idle_since, today),
    }
    if section == "stale_deals":
        out["reasons"] = stale_reasons(row, today, stale_days)
    return out


def last_touch(row: Row) -> str:
    """The day a deal was last touched: its last activity or its entry into its stage, whichever is later
    (LAST_TOUCH of the deals repository, for a row read with those fields)."""
    return max(row["last_activity_at"] or "", row["stage_entered_at"] or row["created_at"] or "")[:10]


def stale_reasons(row: Row, today: date, default_days: int) -> list[str]:
    """Why a deal is stale, in words (the SQL predicate decides that it is)."""
    reasons: list[str] = []
    rot = row["rot_days"] if row["rot_days"] is not None else default_days
    idle = _days_between(last_touch(row), today)
    if idle is not None and idle > rot:
        reasons.append(f"idle {idle}d (limit {rot}d)")
    day = today.isoformat()
    if row["expected_close"] and row["expected_close"][:10] < day:
        reasons.append(f"close date passed {row['expected_close'][:10]}")
    if row["next_step_date"] and row["next_step_date"][:10] < day:
        reasons.append(f"next step due {row['next_step_date'][:10]}")
    return reasons


# -- output ----------------------------------------------------------------------------------
def agenda_json(agenda: Agenda) -> str:
    """The sections as one JSON object, one item per line (money exact, beside its currency), after the day
    they describe (`as_of`, as in every report's JSON)."""
    from salescli.render import json_value

    parts = [f'  "as_of": {json_value(agenda.today)}']
    for name in SECTIONS:
        items = [json_value({k: v for k, v in item.items() if k != "amount_minor"}) for item in agenda.sections[name]]
        parts.append(f'  "{name}": ' + ("[\n    " + ",\n    ".join(items) + "\n  ]" if items else "[]"))
    return "{\n" + ",\n".join(parts) + "\n}\n"


#: The columns of the flat agenda (csv, jsonl, markdown): the same for every day, whatever is on it.
FLAT_KEYS = ("section", "id", "subject", "title", "due_date", "days_overdue", "deal_id", "deal", "contact_id",
             "contact", "company_id", "company", "stage", "amount", "currency", "expected_close", "days_to_close",
             "owner", "next_step", "next_step_date", "days_to_next_step", "last_activity_at", "days_idle", "reasons")


def agenda_rows(agenda: Agenda) -> list[dict[str, Any]]:
    """The sections as one flat list for csv, jsonl and markdown, each row led by its section, with
    the columns of FLAT_KEYS (a key a section does not have is empty: tasks have no amount)."""
    return [{"section": name, **{k: item.get(k) for k in FLAT_KEYS[1:]}}
            for name in SECTIONS for item in agenda.sections[name]]


def agenda_text(agenda: Agenda, who_label: str, width: int = WIDTH) -> str:
    """The screen: a heading line, then each section with its count; at most `width` (80) columns wide."""
    day = agenda.today
    from salescli.render import fit_cells

    lines = [fit_cells(f"Today {day.isoformat()} ({day.strftime('%A')}) · {who_label}", width), ""]
    everyone = agenda.owner is None
    for name in SECTIONS:
        items = agenda.sections[name]
        total = agenda.totals[name]
        if total == 0:
            lines.append(f"{HEADINGS[name]}: none")
            lines.append("")
            continue
        lines.append(f"{HEADINGS[name]} ({total})")
        rows = [_task_cells(item, name, everyone) if name in ("overdue_tasks", "due_today")
                else _deal_cells(item, name, everyone) for item in items]
        lines.extend(_layout(rows, width))
        if total > len(items):
            lines.append(f"  … and {total - len(items)} more (--limit N, or -f json for all)")
        lines.append("")
    return "\n".join(lines)


# A row is a list of cells: (text, width or 0 for the flexible column, right-aligned?)
Cell = tuple[str, int, bool]


def _task_cells(task: dict[str, Any], section: str, everyone: bool) -> list[Cell]:
    from salescli.services.activities import about

    cells: list[Cell] = [(f"#{task['id']}", 8, True)]
    if section == "overdue_tasks":
        cells.append((f"{task['days_overdue']}d late", 10, True))
    cells += [(task["subject"], 0, False), (about(task), 26, False)]
    if everyone:
        cells.append((task["owner"] or "", 10, False))
    return cells


def _deal_cells(deal: dict[str, Any], section: str, everyone: bool) -> list[Cell]:
    """#id, title, stage (not with --all, nor for stale deals: the reason matters more), amount, detail."""
    from salescli.values import format_money

    amount = format_money(deal["amount_minor"], deal["currency"]) if deal["amount_minor"] is not None else "no amount"
    if section == "stale_deals":
        detail = ", ".join(_short_reason(deal, r) for r in deal["reasons"])
        if len(detail) > 27:  # three reasons: "idle 45d, close -3d, step -2d" fits where "… 2d ago" did not
            detail = ", ".join(_short_reason(deal, r, brief=True) for r in deal["reasons"])
    elif section == "next_steps_today":
        detail = deal["next_step"]
    else:
        detail = _closes(deal["days_to_close"])
    cells: list[Cell] = [(f"#{deal['id']}", 8, True), (deal["title"], 0, False)]
    if not everyone and section != "stale_deals":
        cells.append((deal["stage"] or "", 14, False))
    cells += [(amount, 17, True), (detail, 27, False)]
    if everyone:
        cells.append((deal["owner"] or "", 10, False))
    return cells


def _closes(days: int | None) -> str:
    if days is None:
        return "no close date"
    if days == 0:
        return "closes today"
    return f"closes in {days}d" if days > 0 else f"close {-days}d ago"


def _short_reason(deal: dict[str, Any], reason: str, brief: bool = False) -> str:
    """The stale reason in a few words for the screen (JSON keeps the full sentence); brief: days past as -Nd."""
    if reason.startswith("idle"):
        return f"idle {deal['days_idle']}d"
    if reason.startswith("close"):
        return f"close {deal['days_to_close']}d" if brief else _closes(deal["days_to_close"])
    return f"step {deal['days_to_next_step']}d" if brief else f"step {-deal['days_to_next_step']}d ago"


def _layout(rows: list[list[Cell]], width: int = WIDTH) -> list[str]:
    """Columns as wide as their widest cell, capped; the flexible column takes what is left of the width,
    and room left over goes back to capped columns that were cut. On a narrow screen the text columns
    give way (the flexible one first, then the others, down to 8) and amounts and ids never do."""
    if not rows:
        return []
    count = len(rows[0])
    caps = [rows[0][i][1] for i in range(count)]
    from salescli.render import cells_of, fit_cells, pad_cells

    longest = [max(cells_of(" ".join(r[i][0].split())) for r in rows) for i in range(count)]
    widths = [min(n, cap) if cap else n for n, cap in zip(longest, caps, strict=True)]
    room = width - 2 * count - sum(widths)  # two spaces of indent and between columns
    flexible = caps.index(0) if 0 in caps else None
    if room < 0 and flexible is not None:
        widths[flexible] = max(8, widths[flexible] + room)
    for i in reversed(range(count)):  # still too wide: cut the text columns from the right
        room = width - 2 * count - sum(widths)
        if room >= 0:
            break
        if not rows[0][i][2] and i != flexible:
            widths[i] = max(min(8, widths[i]), widths[i] + room)
    for i in range(count):
        room = width - 2 * count - sum(widths)
        if room <= 0:
            break
        widths[i] += min(room, longest[i] - widths[i])
    out = []
    for row in rows:
        cells = []
        for (text, _cap, right), width in zip(row, widths, strict=True):
            cells.append(pad_cells(fit_cells(text, width), width, right))
        out.append(("  " + "  ".join(cells)).rstrip())
    return out
