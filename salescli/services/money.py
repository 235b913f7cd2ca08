"""Money across currencies: exchange rates and totals in the base currency, written once.

Rates are stored per currency as "1 unit of CURRENCY = RATE units of the base currency", dated;
the rate in force on a date is the latest one on or before it. A total never sums a currency
that has no rate: it names it instead (see ``convert_totals``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue
from salescli.values import currency_decimals, format_money, minor_to_decimal

if TYPE_CHECKING:
    from salescli.repository import Repository

_RATE_RE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?|\.[0-9]{1,12}")


def parse_rate(text: str) -> Decimal:
    """An exchange rate as typed: a positive decimal number ('0.92', '1.0845', '150')."""
    s = text.strip()
    if not _RATE_RE.fullmatch(s):
        raise InvalidValue(None, text, "is not an exchange rate (a positive decimal number, e.g. 0.92)")
    value = Decimal(s)
    if value <= 0:
        raise InvalidValue(None, text, "is not an exchange rate (it must be more than 0)")
    return value


def rate_text(rate: Decimal) -> str:
    """How a rate is stored: plain decimal text without trailing zeros ('0.92', '150')."""
    return format(rate.normalize(), "f")


def typed_rate(value: Decimal) -> Decimal | None:
    """The rate of ten significant digits or fewer within 1e-12 of value, relatively, if there is one: the
    rate someone typed, come back through an inverse or a cross rate (1 / (1 / 0.0067) is 0.0067 and a
    hair); None when value is no such rate."""
    for digits in range(1, 11):
        near = Context(prec=digits, rounding=ROUND_HALF_UP).plus(value)
        if abs(near - value) <= abs(value) * Decimal("1e-12"):
            return near
    return None


def derived_rate(value: Decimal) -> Decimal:
    """A rate worked out from others (an inverse, a cross rate) as stored: a typed rate it comes back to
    (see typed_rate), else sixteen significant digits. A base currency changed and changed back leaves the
    rates as they were typed (twelve digits gave 1 JPY = 0.00670000000001 USD), and the error of a stored
    rate stays far below what would keep typed_rate from finding it again."""
    return typed_rate(value) or Context(prec=16, rounding=ROUND_HALF_UP).plus(value)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round (half up) to the currency's minor unit: 12.345 EUR -> 12.35."""
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), rounding=ROUND_HALF_UP)


def convert_totals(
    per_currency: Mapping[str, int], base: str, rates: Mapping[str, Decimal]
) -> tuple[Decimal, list[str]]:
    """Sum amounts kept per currency (integer minor units) into the base currency.

    ``rates`` maps a currency to its rate to the base currency (the base itself needs none).
    Returns (total in the base currency rounded to its minor unit, once, currencies with a non-zero
    amount and no rate — left OUT of the total, sorted). Never sums a currency silently.
    """
    total, missing = exact_total(per_currency, base, rates)
    return quantize(total, base), missing


def exact_total(
    per_currency: Mapping[str, int], base: str, rates: Mapping[str, Decimal], scale: int = 1
) -> tuple[Decimal, list[str]]:
    """convert_totals' sum before it is rounded (for a ratio of two sums: rounded sums skew it); ``scale``
    divides the amounts first (sums of amount x probability are minor units x 100)."""
    total = Decimal(0)
    missing: list[str] = []
    for currency in sorted(per_currency):
        minor = per_currency[currency]
        if not minor:
            continue
        amount = minor_to_decimal(minor, currency) / scale
        if currency == base:
            total += amount
        elif currency in rates:
            total += amount * rates[currency]
        else:
            missing.append(currency)
    return total, missing


def rates_on(repo: Repository, as_of: date) -> dict[str, Decimal]:
    """The rates in force on a date (latest on or before it), as Decimals."""
    return {cur: Decimal(rate) for cur, rate in repo.fx_rates_on(as_of.isoformat()).items()}


def currency_slip(repo: Repository, currency: str, *, unguessed: bool = False) -> str:
    """'ERU is no ISO 4217 currency (did you mean EUR?); ' for a code that is no ISO one and one slip from a code in
    use or a major one; '' otherwise (an ISO code, or a currency of one's own such as BTC, which only the writes
    that make it name, with `unguessed`: the reports do not repeat it)."""
    from salescli.values import ISO_CURRENCIES, MAJOR_CURRENCIES, typo_of

    if currency in ISO_CURRENCIES:
        return ""
    meant = typo_of(currency, [repo.settings()["base_currency"], *repo.rated_currencies(), *MAJOR_CURRENCIES])
    if meant is None and not unguessed:
        return ""
    return f"{currency} is no ISO 4217 currency" + (f" (did you mean {meant}?)" if meant else "") + "; "


def missing_rate_note(repo: Repository, currency: str, day: date, what: str = "amounts left out") -> str:
    """Why a currency's amounts are left out: no rate at all (or no such currency: a slip), or none in force yet
    on the day (a rate stored from a later date: another `fx set` without --date would not reach that day)."""
    first = repo.first_rate_day(currency)
    if first is None or first <= day.isoformat():
        return f"{currency_slip(repo, currency)}{currency} {what}: no exchange rate (salescli fx set {currency} RATE)"
    return (f"{currency} {what}: no {currency} rate in force on {day.isoformat()}, the first is from {first}"
            f" (salescli fx set {currency} RATE --date {day.isoformat()})")


@dataclass
class CurrencyTotal:
    """One currency's share of a selection of deals."""

    currency: str
    deals: int
    minor: int
    with_amount: int = 0


@dataclass
class Totals:
    """A selection's count and total in the base currency, with what could not be converted."""

    base: str
    count: int
    total: Decimal
    without_amount: int
    missing: list[CurrencyTotal] = field(default_factory=list)
    by_currency: list[CurrencyTotal] = field(default_factory=list)
    by_status: list[tuple[str, Totals]] = field(default_factory=list)  # (status, its totals) when several
    later_rates: dict[str, str] = field(default_factory=dict)  # currency -> first rate's day, after the day's
    day: str = ""  # the day converted at (for later_rates)

    @property
    def total_minor(self) -> int:
        """The total in minor units (a sum: no limit of one typed amount applies)."""
        return int(self.total.scaleb(currency_decimals(self.base)).to_integral_value())

    def as_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total": self.total,
            "currency": self.base,
            "without_amount": self.without_amount,
            "missing_rates": [m.currency for m in self.missing],
        }

    def status_part(self, status: str) -> str:
        """'2 open 10,000.00 USD', with the currencies left out for want of a rate named."""
        part = f"{self.count:,} {status}"
        codes = "/".join(m.currency for m in self.missing)
        if not self.missing:
            return f"{part} {format_money(self.total_minor, self.base)}"
        if self.count > sum(m.deals for m in self.missing):
            return f"{part} {format_money(self.total_minor, self.base)} + {codes} without a rate"
        return f"{part} in {codes} (no rate)"

    def lines(self, noun: str = "deal", ranked: bool = False, width: int = 80) -> list[str]:
        """'12 deals, total 48,300.00 USD' and one line per currency left out for want of a rate (ranked: the
        list is by amount, where those come last). With several statuses, no grand total (open, won and lost
        money added up means nothing): a line of each."""
        plural = noun if self.count == 1 else noun + "s"
        first = f"{self.count:,} {plural}"
        if not self.by_status:
            if self.missing and self.count <= sum(m.deals for m in self.missing):  # none converts: no 0.00 total
                first += f", in {'/'.join(m.currency for m in self.missing)} (no rate)"
            else:
                first += f", total {format_money(self.total_minor, self.base)}"
        if self.without_amount:
            first += f" ({self.without_amount:,} without an amount)"
        out = [first]
        if self.by_status:
            parts = [t.status_part(status) for status, t in self.by_status]
            joined = "  " + " · ".join(parts)
            # one line when it fits the screen's width; else a status a line (a terminal would cut through a number)
            out += [joined] if len(joined) <= width else ["  " + part for part in parts]
        for m in self.missing:
            left = (f"{m.deals:,} {noun if m.deals == 1 else noun + 's'}, {format_money(m.minor, m.currency)} not"
                    f" included{', ranked last' if ranked else ''}")
            rated = self.later_rates.get(m.currency)
            if rated:  # a rate is stored, from a later day: another `fx set` without --date would not reach this one
                out.append(f"no {m.currency} rate in force on {self.day}, the first is from {rated}: {left}"
                           f" (salescli fx set {m.currency} RATE --date {self.day})")
            else:
                out.append(f"no rate for {m.currency}: {left} (set one: salescli fx set {m.currency} RATE)")
        return out


def minor_unit_factors(base: str, rates: Mapping[str, Decimal]) -> dict[str, float]:
    """currency -> factor from its minor units to the base's minor units (approximate: for ordering in
    SQL; a threshold is compared exactly, see exact_minor_factors); the base itself is 1."""
    return {cur: float(factor) for cur, factor in exact_minor_factors(base, rates).items()}


def exact_minor_factors(base: str, rates: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """currency -> exact factor from its minor units to the base's minor units; the base itself is 1."""
    base_dec = currency_decimals(base)
    out = {cur: Decimal(rate).scaleb(base_dec - currency_decimals(cur)) for cur, rate in rates.items()}
    out[base] = Decimal(1)
    return out


def summarize(rows: Iterable[Mapping[str, Any]], base: str, rates: Mapping[str, Decimal]) -> Totals:
    """Totals from rows with keys currency, deals, minor and optionally with_amount (rows of one currency,
    e.g. one per status, are added up)."""
    by_code: dict[str, CurrencyTotal] = {}
    for r in rows:
        share = by_code.setdefault(r["currency"], CurrencyTotal(r["currency"], 0, 0, 0))
        share.deals += int(r["deals"])
        share.minor += int(r["minor"] or 0)
        share.with_amount += int(r.get("with_amount", r["deals"]))
    shares = list(by_code.values())
    total, missing = convert_totals({s.currency: s.minor for s in shares}, base, rates)
    return Totals(
        base=base,
        count=sum(s.deals for s in shares),
        total=total,
        without_amount=sum(s.deals - s.with_amount for s in shares),
        missing=[s for s in shares if s.currency in missing],
        by_currency=shares,
    )
