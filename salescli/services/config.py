"""Settings (config get/set) and exchange rates (fx set/list): validated, stored, logged."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, RuleError, UsageError

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SETTING_KEYS = ("base_currency", "day_first", "fiscal_year_start_month", "week_start", "default_stale_days")
SETTING_HELP = {
    "base_currency": "currency of totals across currencies (ISO code, e.g. EUR)",
    "day_first": "how 03/04/2026 reads: true (3 April), false (March 4) or unset (refused as ambiguous)",
    "fiscal_year_start_month": "month the fiscal year starts (1-12 or its name); quarters follow it",
    "week_start": "first day of the week (monday..sunday)",
    "default_stale_days": "days without activity after which a deal is stale, when its stage has no rot days",
}


def week_start_index(name: str) -> int:
    """'monday' -> 0 .. 'sunday' -> 6 (what values.parse_period takes); unknown -> 0."""
    key = name.strip().lower()
    for index, day in enumerate(WEEKDAYS):
        if key == day or key == day[:3]:
            return index
    return 0


def check_key(key: str) -> str:
    name = key.strip().lower().replace("-", "_")
    if name not in SETTING_KEYS:
        import difflib

        # fiscal_year_start, stale_days, currency: the setting a person meant, when one is plainly it
        meant = [k for k in SETTING_KEYS if name and (name in k or k in name)] or difflib.get_close_matches(
            name, SETTING_KEYS, n=1, cutoff=0.75)
        hint = f"did you mean {meant[0]}? " if len(meant) == 1 else ""
        raise UsageError(f'unknown setting "{key}" ({hint}settings: {", ".join(SETTING_KEYS)})')
    return name


def normalize_setting(key: str, value: str) -> str:
    """The stored text of a setting's value; a bad one is a usage error naming key and value (exit 2)."""
    from salescli.values import parse_bool, parse_currency, parse_int

    name = check_key(key)
    text = value.strip()
    try:
        if name == "base_currency":
            return parse_currency(text)
        if name == "day_first":
            if text.lower() in ("unset", "none", "auto", ""):
                return "unset"
            return "true" if parse_bool(text) else "false"
        if name == "fiscal_year_start_month":
            from salescli.values import month_number

            named = month_number(text)  # April, apr
            if named:
                return str(named)
            if not text.isdigit():
                raise InvalidValue(None, value, "is not a month (1-12, or its name: April, apr)")
            return str(parse_int(text, minimum=1, maximum=12))
        if name == "week_start":
            key_text = text.lower()
            for day in WEEKDAYS:
                if key_text in (day, day[:3]):
                    return day
            raise InvalidValue(None, value, f"is not a weekday ({', '.join(WEEKDAYS)})")
        if name == "default_stale_days":
            return str(parse_int(text, minimum=1, maximum=3650))
    except InvalidValue as exc:
        reason = exc.reason
        if name == "day_first" and "yes or no" in reason:
            reason = "is not true, false or unset"
        raise InvalidValue(name, value, reason) from None
    raise AssertionError(name)  # pragma: no cover


def set_setting(repo: Repository, key: str, value: str) -> tuple[str, str | None, str]:
    """Store a setting; returns (key, value before, value after)."""
    name = check_key(key)
    text = normalize_setting(name, value)
    with repo.write():
        before = repo.settings()[name]
        if before != text:
            if name == "base_currency":
                _note_slip(repo, text, f"totals will be in {text}")
                _rebase(repo, before, text)
            if name == "fiscal_year_start_month":
                _relabel_targets(repo, int(text))
            repo.set_setting(name, text)
    return name, before, text


def _relabel_targets(repo: Repository, fiscal_year_start_month: int) -> None:
    """Targets keep their days; their labels follow the new fiscal year (FY2026-Q1 for April..June becomes
    2026-04-01..2026-06-30 under a calendar year, whose 2026-Q1 is January..March)."""
    from salescli.values import span_label

    for t in repo.target_periods():
        label = span_label(date.fromisoformat(t["period_start"]), date.fromisoformat(t["period_end"]),
                           fiscal_year_start_month)
        if label != t["period_label"]:
            repo.change_record("targets", "target", t["id"], {"period_label": label})


def _rebase(repo: Repository, old: str, new: str) -> None:
    """A new base currency, and what is stored in the old one follows it:

    - rates (1 X = x OLD) become 1 X = x / n NEW, n the rate of NEW in force that day, on every day either
      rate changed; the new base's own rates become the old one's, 1 OLD = 1 / n NEW (from the earliest day
      anything is dated, so an old-base deal of then still converts);
    - won amount targets are converted at the rate in force on the day of the change, as reports convert
      won and open amounts at their day's rate (so attainment and coverage read the same after the change),
      forecast snapshots' amounts at the rate of the day they were taken;
    a day before NEW's first rate takes that first rate (said). Refused without a rate of NEW when anything
    is stored."""
    from decimal import ROUND_HALF_UP

    from salescli.services.money import derived_rate, rate_text, typed_rate
    from salescli.services.reports.accuracy import STORED
    from salescli.values import currency_decimals

    rows = repo.fx_rates_by_day()
    targets = repo.money_targets_in(old)
    snapshots = [s for s in repo.snapshot_rows() if json.loads(s["figures"]).get("currency") == old]
    if not rows and not targets and not snapshots:
        return
    ladder = [(r["as_of"], Decimal(r["rate"])) for r in rows if r["currency"] == new]  # 1 NEW = n OLD, by day
    if not ladder:
        counted = ((len(rows), "exchange rate"), (len(targets), "won amount target"), (len(snapshots),
                                                                                      "forecast snapshot"))
        parts = [f"{n:,} {what}{'s' if n != 1 else ''}" for n, what in counted if n]
        raise RuleError(f"the {' and '.join(parts)} stored are in {old}: converting them to {new} needs the rate"
                        f" of {new} in {old}",
                        hint=f"store it first: salescli fx set {new} RATE (1 {new} = RATE {old}), then set the base")

    def n_on(day: str) -> Decimal:  # the rate of NEW in force on a day (its first one before it was set)
        found = ladder[0][1]
        for since, rate in ladder:
            if since > day:
                break
            found = rate
        return found

    def in_new(amount: Decimal, day: str) -> Decimal:  # an amount of OLD -> of NEW, at the day's rate, exactly:
        # times the rate of OLD that was typed when it is one (x 1.1 back to USD, where / 0.909090909091 made
        # 4,545.45 EUR 4,999.99 USD, not 5,000.00), else divided by NEW's (120.15 / 1.2 = 100.125 -> 100.13)
        n = n_on(day)
        typed = typed_rate(1 / n)
        exact = amount * typed if typed is not None else amount / n
        return exact.quantize(Decimal(1).scaleb(-currency_decimals(new)), rounding=ROUND_HALF_UP)

    earliest = min([r["as_of"] for r in rows] + [t["period_start"] for t in targets]
                   + [s["taken_at"][:10] for s in snapshots])
    by_currency: dict[str, list[tuple[str, Decimal]]] = {}
    for r in rows:
        by_currency.setdefault(r["currency"], []).append((r["as_of"], Decimal(r["rate"])))
    for currency, own in by_currency.items():
        if currency == new:  # 1 NEW = n OLD becomes 1 OLD = 1/n NEW, on the same days and from the earliest
            for day, _n in own:
                repo.delete_fx_rate(new, day)
            for day, n in ([(earliest, own[0][1])] if earliest < own[0][0] else []) + own:
                repo.set_fx_rate(old, rate_text(derived_rate(1 / n)), day)
            continue
        # 1 X = x OLD becomes x / n NEW on its own days, and on the days NEW's rate changed after its first
        # (unless the rate comes out the same as the day before)
        last = None
        for day in sorted({day for day, _ in own} | {day for day, _ in ladder if day > own[0][0]}):
            x = next(rate for since, rate in reversed(own) if since <= day)
            rate = rate_text(derived_rate(x / n_on(day)))
            if rate != last or any(day == d for d, _ in own):
                repo.set_fx_rate(currency, rate, day)
            last = rate
    today = repo.now()[:10] or max(day for day, _ in ladder)
    for t in targets:  # (stored in minor units)
        amount = in_new(Decimal(int(t["value"])).scaleb(-currency_decimals(old)), today)
        repo.change_record("targets", "target", t["id"],
                           {"value": int(amount.scaleb(currency_decimals(new))), "currency": new})
    money = [k for k in STORED if k not in ("attainment", "coverage")]  # (those two are ratios)
    for snap in snapshots:
        figures = json.loads(snap["figures"])
        day = snap["taken_at"][:10]
        figures.update({k: str(in_new(Decimal(figures[k]), day)) for k in money if figures.get(k) not in (None, "")},
                       currency=new)
        repo.change_record("forecast_snapshots", "forecast_snapshot", snap["id"],
                           {"figures": json.dumps(figures, sort_keys=True)})
    if ladder[0][0] > earliest:
        repo.notices.append(f"note: what is dated before the first rate of {new} ({ladder[0][0]}) was converted at"
                            " that rate")
    done = [(len(rows), "exchange rate"), (len(targets), "target")] + ([(len(snapshots), "forecast snapshot")]
                                                                       if snapshots else [])
    said = [f"{n:,} {what}{'s' if n != 1 else ''}" for n, what in done]
    repo.notices.append(f"converted {', '.join(said[:-1])} and {said[-1]} from {old} to {new}")


def set_rate(repo: Repository, currency_text: str, rate_text_: str, as_of: date) -> tuple[str, str, str, str | None]:
    """Store a dated rate (1 CURRENCY = RATE base currency); returns (currency, rate, as_of, replaced)."""
    from salescli.services.money import parse_rate, rate_text
    from salescli.values import parse_currency

    try:
        currency = parse_currency(currency_text)
    except InvalidValue as exc:
        raise exc.with_field("CURRENCY") from None
    try:
        rate = rate_text(parse_rate(rate_text_))
    except InvalidValue as exc:
        raise exc.with_field("RATE") from None
    with repo.write():
        base = repo.settings()["base_currency"]
        if currency == base:
            raise RuleError(f"{currency} is the base currency (its rate is 1)",
                            hint="change the base with `salescli config set base_currency CODE`")
        _note_slip(repo, currency, "its rate is stored all the same")
        replaced = repo.set_fx_rate(currency, rate, as_of.isoformat())
    return currency, rate, as_of.isoformat(), replaced


def _note_slip(repo: Repository, currency: str, then: str) -> None:
    """'note: ERU is no ISO 4217 currency (did you mean EUR?); …' where a code is typed that is no ISO one (a
    currency of one's own, BTC, is taken, and said once here, where it is first named)."""
    from salescli.services.money import currency_slip

    slip = currency_slip(repo, currency, unguessed=True)  # ("" for an ISO code, without a query)
    if slip and currency not in repo.rated_currencies():  # (said when its first rate was stored)
        repo.notices.append(f"note: {slip}{then}")


def rate_rows(repo: Repository, today: date, currency: str | None = None, latest: bool = False) -> list[Row]:
    """Stored rates, newest first per currency, marking the one in force today (the latest on or
    before it); latest=True keeps only those."""
    base = repo.settings()["base_currency"]
    out: list[Row] = []
    found: set[str] = set()
    for row in repo.fx_rate_rows(currency):
        # the base currency's own rate (set before the base changed) is never used
        in_force = row["currency"] not in found and row["as_of"] <= today.isoformat() and row["currency"] != base
        if in_force:
            found.add(row["currency"])
        if latest and not in_force:
            continue
        out.append({**row, "rate": Decimal(row["rate"]), "base": base, "in_force": in_force})
    return out


def settings_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": values[k], "meaning": SETTING_HELP[k]} for k in SETTING_KEYS]


def stale_days(settings: dict[str, str]) -> int:
    """The default_stale_days setting (30 when unset or odd): idle days before a deal is stale where its stage
    sets none."""
    try:
        return int(settings.get("default_stale_days", "30"))
    except ValueError:
        return 30


def period_settings(settings: dict[str, str]) -> tuple[int, int, bool | None]:
    """(fiscal_year_start_month, week_start 0=Monday, day_first) from the stored settings, defaults if odd: what
    parse_period takes after the day (a range of typed dates reads them as every typed date is read)."""
    try:
        fiscal = int(settings.get("fiscal_year_start_month", "1"))
    except ValueError:
        fiscal = 1
    day_first = settings.get("day_first", "unset")
    return ((fiscal if 1 <= fiscal <= 12 else 1), week_start_index(settings.get("week_start", "monday")),
            None if day_first == "unset" else day_first == "true")
