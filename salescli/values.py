"""Parsing what people type: money, currencies, dates, periods, numbers, tags.

Every function here is pure: "today" is always a parameter, money is integer
minor units (never a float), and every refusal is an ``InvalidValue`` whose
reason reads well after the quoted value, e.g. ``"31/02/2026" is not a valid
date``. The field is left to the caller (``InvalidValue.with_field``).

Only the standard library is imported at module level; ``dateutil.parser`` is
imported inside the one fallback that needs it, so ``salescli --help`` never
pays for it. Month arithmetic is written out here (no ``relativedelta``).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from salescli.errors import InvalidValue

__all__ = [
    "CURRENCY_DECIMALS",
    "MAX_AMOUNT",
    "Money",
    "Period",
    "add_months",
    "closest",
    "currency_decimals",
    "excel_serial_to_date",
    "excel_serial_to_datetime",
    "fiscal_quarter",
    "fiscal_year",
    "format_money",
    "minor_to_decimal",
    "parse_bool",
    "parse_currency",
    "parse_date",
    "parse_date_or_datetime",
    "parse_int",
    "parse_money",
    "parse_period",
    "parse_probability",
    "parse_tags",
    "time_of_day",
    "to_minor",
    "week_of",
]

#: A "did you mean" compares with at most this many names (past it, a pass over each per call costs more
#: than the hint is worth: none is offered).
SUGGEST_AMONG = 5000

_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
#: Free text that may hold paragraphs (a reason typed as `--reason $'price\ntoo high'` is kept so, and an
#: import of its export reads it back the same); every other field is one line.
MULTI_LINE = frozenset({"notes", "body", "lost_reason", "park_reason"})


def one_line(text: str) -> str:
    """A name, title or label on one line: line breaks (and the spaces around them) become one space, so that
    messages stay one line and table rows do not split."""
    return _LINE_BREAKS.sub(" ", text)


def loose_key(text: str) -> str:
    """A name without case, accents, spaces or punctuation: 'Person - Email (Work)' -> 'personemailwork',
    `needs-analysis` -> `needsanalysis` (import headers matched to field aliases; a stage typed or
    exported another way, when the exact, case-insensitive name matched none)."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in folded if ch.isalnum())


#: Legal forms a company's name may end with ("Acme Inc", "Zeta GmbH"): the same name with or without one is
#: likely one company; with two different ones (Zeta AB, Zeta AG), two.
LEGAL_FORMS = frozenset({"ab", "ag", "as", "aps", "bv", "co", "corp", "corporation", "gmbh", "inc", "incorporated",
                         "kg", "limited", "llc", "llp", "ltd", "nv", "oy", "plc", "pty", "sa", "sarl", "sas", "se",
                         "spa", "srl"})


def core_name_key(name: str) -> str:
    """loose_key of a company's name without the legal form it ends with: "Acme, Inc." and "ACME" -> "acme"."""
    words = re.findall(r"[^\W_]+", name.casefold())
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return loose_key(" ".join(words))


def closest(text: str, names: list[str], cutoff: float) -> str | None:
    """The name most like text, case-insensitively, as it is spelled in names; None below cutoff (0..1) or
    among more than SUGGEST_AMONG names."""
    if len(names) > SUGGEST_AMONG:
        return None
    import difflib

    spelled = {name.lower(): name for name in names}
    found = difflib.get_close_matches(text.strip().lower(), list(spelled), n=1, cutoff=cutoff)
    return spelled[found[0]] if found else None


def typo_of(text: str, names: list[str]) -> str | None:
    """The name that text is one slip away from (a letter added, dropped, changed, or two swapped; two slips
    in names of 6 letters or more), case-insensitively, as spelled in names; never across other numbers
    (rep1, rep10), nor between names of 2 letters (US and UK are two teams; sm is a slip of sam). None when
    there is none, or among more than SUGGEST_AMONG names."""
    typed = text.strip().lower()
    if len(names) > SUGGEST_AMONG or len(typed) < 2:
        return None
    if any(name.lower() == typed for name in names):
        return None
    digits = re.findall(r"[0-9]+", typed)
    for name in names:
        known = name.lower()
        # a two-letter name is only a letter dropped from (or added to) a longer one: sm for sam, mee for me
        short = min(len(typed), len(known)) < 3
        if (not short or (min(len(typed), len(known)) == 2 and len(typed) != len(known))) \
                and re.findall(r"[0-9]+", known) == digits \
                and _slips(typed, known) <= (2 if min(len(typed), len(known)) >= 6 else 1):
            return name
    return None


def one_slip(a: str, b: str) -> bool:
    """Whether two names are one slip apart (a letter added, dropped, changed, or two swapped), in any case;
    never across other numbers (rep1 and rep2 are two reps)."""
    return re.findall(r"[0-9]+", a) == re.findall(r"[0-9]+", b) and _slips(a.lower(), b.lower()) == 1


def _slips(a: str, b: str) -> int:
    """Edits from a to b (insert, delete, replace, swap two neighbours): optimal string alignment distance."""
    if abs(len(a) - len(b)) > 2:
        return 3
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


# ---------------------------------------------------------------------------
# Currencies
# ---------------------------------------------------------------------------

#: ISO 4217 minor-unit digits. Codes not listed here have 2 (see currency_decimals).
CURRENCY_DECIMALS: dict[str, int] = {
    # the usual two-decimal currencies, listed so the table documents itself
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2,
    "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2, "CNY": 2,
    "HKD": 2, "SGD": 2, "INR": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "AED": 2,
    "SAR": 2, "TRY": 2, "ILS": 2, "TWD": 2,
    # no minor unit
    "JPY": 0, "KRW": 0, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0,
    "KMF": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
    # three decimals
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

#: Largest amount accepted, in major units (fits int64 in minor units for 3 decimals).
MAX_AMOUNT = 10**13

_AMOUNT_EXAMPLES = "(examples: 12000, 12,000.50, 12k, $1.2M)"

# A symbol maps to its usual currency; a bare "$" or "¥" may also stand for
# another currency of the same family when the currency is given separately
# ("$12,000" with --currency CAD is Canadian dollars, not a conflict).
_SYMBOLS: dict[str, str] = {
    "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW",
    "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD",
    "NZ$": "NZD", "HK$": "HKD", "S$": "SGD", "R$": "BRL", "NT$": "TWD",
    "MX$": "MXN",
}
_SYMBOL_FAMILIES: dict[str, frozenset[str]] = {
    "$": frozenset({
        "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "ARS", "CLP", "COP", "BSD", "BBD",
        "BZD", "BMD", "BND", "FJD", "GYD", "JMD", "KYD", "LRD", "NAD", "SBD", "SRD", "TTD", "XCD",
    }),
    "¥": frozenset({"JPY", "CNY"}),
    "£": frozenset({"GBP", "GIP", "FKP", "SHP"}),
}
_SYMBOL_FOR_CODE: dict[str, str] = {
    "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩",
}
_MULTIPLIERS: dict[str, int] = {"k": 3, "m": 6, "b": 9, "bn": 9}

_SYMBOL_RE = r"[$€£¥₹₩]|[A-Za-z]{1,2}\$"
_MONEY_RE = re.compile(
    r"(?P<sign1>[-\u2212+])?\s*"
    rf"(?P<pre>[A-Za-z]{{3}}|{_SYMBOL_RE})?\s*"
    r"(?P<sign2>[-\u2212+])?\s*"
    r"(?P<num>[0-9.][0-9.,\s]*)"
    r"(?P<rest>.*)",
    re.DOTALL,
)
_MONEY_SUFFIX_RE = re.compile(
    rf"(?:(?P<mult>[bB][nN]|[kKmMbB])[ \t\u00a0\u202f]*)?(?P<post>[A-Za-z]{{3}}|{_SYMBOL_RE})?"
)
_SPACE_SEPARATORS = " \u00a0\u202f"
_PLAIN_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_COMMA_NUMBER_RE = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_SPACE_NUMBER_RE = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?:\.[0-9]+)?")
# the same with a decimal comma (1.234,56 or 1 234,56: European spreadsheets)
_COMMA_PLAIN_RE = re.compile(r"[0-9]+(?:,[0-9]+)?")
_COMMA_DOT_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?")
_COMMA_SPACE_RE = re.compile(r"[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+(?:,[0-9]+)?")
_EXPONENT_RE = re.compile(r"[0-9.][eE][-+]?[0-9]")
_CURRENCY_CODE_RE = re.compile(r"[A-Za-z]{3}")


#: The ISO 4217 currency codes in use: another three letters are a currency of the user's own (BTC), or a slip.
ISO_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF
CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR
LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG
XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
""".split())


MAJOR_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NOK", "DKK")


def currency_decimals(code: str) -> int:
    """Minor-unit digits of a currency: 0 for JPY, 3 for KWD, 2 for any code not listed.

    Lenient on purpose (used when rendering stored data): it never raises.
    """
    return CURRENCY_DECIMALS.get(code.strip().upper(), 2)


def parse_currency(text: str) -> str:
    """A currency code as typed ('eur', ' EUR ') -> 'EUR'.

    Any three ASCII letters are accepted (unknown codes have 2 decimals);
    a known symbol ('€', '$', 'US$') is accepted too and gives its usual code.
    """
    code = text.strip()
    if _CURRENCY_CODE_RE.fullmatch(code):
        return code.upper()
    if code.upper() in _SYMBOLS:
        return _SYMBOLS[code.upper()]
    raise InvalidValue(None, text, "is not a currency code (3 letters, e.g. EUR, USD)")


@dataclass(frozen=True)
class Money:
    """An amount in integer minor units; ``currency`` is None when the text carried none."""

    minor: int
    currency: str | None


def _has_foreign_digits(text: str) -> bool:
    return not text.isascii() and any(ch.isdigit() or ch.isnumeric() for ch in text if not ch.isascii())


def _decimals_reason(currency: str | None, decimals: int) -> str:
    if currency is None:
        return f"has more decimals than an amount allows ({decimals})"
    return f"has more decimals than {currency} allows ({decimals})"


# 1.500, 23.400, 100.000: three digits after one dot, the last a zero (so also a valid amount in cents)
_THOUSANDS_DOT_RE = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{2}0")
# 5,000, 12,000 with a decimal comma: a thousands comma (5000) or a decimal comma (5.00)?
_THOUSANDS_COMMA_RE = re.compile(r"[1-9][0-9]{0,2},[0-9]{2}0")


def parse_money_in(text: str, default_currency: str, *, decimal_comma: bool = False) -> tuple[int, str]:
    """(minor units, currency) of an amount in default_currency, unless the text names its own ('€900' while
    the default is USD); a bare '$' is the default's dollar when it has one (CAD, AUD), as `deal add` reads it."""
    try:
        money = parse_money(text, default_currency, decimal_comma=decimal_comma)
    except InvalidValue as first:
        money = parse_money(text, decimal_comma=decimal_comma)
        if money.currency is None:
            raise first from None
    return money.minor, money.currency or default_currency


def parse_money(text: str, currency: str | None = None, *, decimal_comma: bool = False) -> Money:
    """Parse an amount as people type it into integer minor units, exactly.

    Accepted: ``12000``, ``12,000.50``, ``12 000``, ``12k``, ``1.2M``, ``2.5bn``
    (k, m, b/bn in any case), ``$12,000``, ``€900``, ``£5``, ``¥500``,
    ``12000 EUR``, ``EUR 12000``, ``900 €``. Refused: empty text, NaN,
    Infinity, ``1e5``, ``1_000``, digits other than 0-9, misplaced thousands
    separators (``1,2,3``), negatives (``-5``, ``(5)``), more decimals than
    the currency has once k/M/B is applied (``1.234`` USD refused, ``1.2345k``
    accepted; trailing zeros do not count), amounts over 10,000,000,000,000,
    and currencies that contradict each other or the ``currency`` argument.

    With ``decimal_comma`` the comma is the decimal mark and ``.`` or a space groups thousands
    (``1.234,56``, ``1 234,56``, ``12,5k``), as European spreadsheets write amounts.

    ``Money.currency`` is the currency the text names (the ``currency``
    argument when the text has a compatible bare symbol such as ``$`` for
    CAD), or None when the text names none. The decimals check uses the
    text's currency, else ``currency``, else 2.
    """
    s = text.strip()
    if not s:
        raise InvalidValue(None, text, f"is empty {_AMOUNT_EXAMPLES}")
    if len(s) > 100:
        raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")
    if _has_foreign_digits(s):
        raise InvalidValue(None, text, "has digits other than 0-9")
    if _EXPONENT_RE.search(s):
        raise InvalidValue(None, text, "uses exponent notation; write the amount out (12000, 12k)")
    arg = parse_currency(currency) if currency is not None else None

    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative = True
        s = s[1:-1].strip()
    m = _MONEY_RE.fullmatch(s)
    suffix = _MONEY_SUFFIX_RE.fullmatch(m.group("rest").strip()) if m else None
    if m is None or suffix is None or (m.group("sign1") and m.group("sign2")):
        raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")
    sign = m.group("sign1") or m.group("sign2")
    if sign == "+":
        raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")
    negative = negative or sign is not None

    num = m.group("num").rstrip()
    if decimal_comma:
        digits = _comma_decimal_digits(text, num)
    elif _PLAIN_NUMBER_RE.fullmatch(num):
        digits = num
    elif _COMMA_NUMBER_RE.fullmatch(num):
        digits = num.replace(",", "")
    elif _SPACE_NUMBER_RE.fullmatch(num):
        digits = "".join(ch for ch in num if ch not in _SPACE_SEPARATORS)
    elif "," in num:
        raise InvalidValue(
            None, text,
            "has misplaced thousands separators (use , for thousands and . for decimals: 12,000.50)",
        )
    else:
        raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")

    text_currency = _currency_in_text(text, m.group("pre"), suffix.group("post"), arg)
    if negative:
        raise InvalidValue(None, text, "is negative: amounts must be 0 or more")

    check_currency = text_currency or arg
    decimals = currency_decimals(check_currency) if check_currency else 2
    mult = suffix.group("mult")
    if not decimal_comma and not mult and decimals < 3 and _THOUSANDS_DOT_RE.fullmatch(digits):
        # "1.500": a European thousands dot (1500) or a decimal point (1.50)? Not guessed.
        whole, fraction = digits.split(".")
        big, small = f"{whole}{fraction}", f"{whole}.{fraction[:decimals]}" if decimals else whole
        raise InvalidValue(None, text, f"is ambiguous: {big} or {small}? write {big} or {small}")
    if decimal_comma and not mult and decimals < 3 and _THOUSANDS_COMMA_RE.fullmatch(num):
        # the same question the other way round: "5,000" read with a decimal comma is 5.00, or is it 5000?
        whole, fraction = num.split(",")
        big, small = f"{whole}{fraction}", f"{whole},{fraction[:decimals]}" if decimals else whole
        raise InvalidValue(None, text, f"is ambiguous: {big} or {small}? write {big} or {small}")
    exponent = _MULTIPLIERS[mult.lower()] if mult else 0
    minor = _scaled_minor(text, digits, exponent, decimals, check_currency)
    return Money(minor, text_currency)


def _comma_decimal_digits(text: str, num: str) -> str:
    """'1.234,56' (or '1 234,56', '1234,56') -> '1234.56'."""
    if _COMMA_PLAIN_RE.fullmatch(num):
        return num.replace(",", ".")
    if _COMMA_DOT_RE.fullmatch(num):
        return num.replace(".", "").replace(",", ".")
    if _COMMA_SPACE_RE.fullmatch(num):
        return "".join(ch for ch in num if ch not in _SPACE_SEPARATORS).replace(",", ".")
    if "," in num or "." in num:
        raise InvalidValue(None, text, "has misplaced separators (with a decimal comma: . for thousands and , for"
                                        " decimals: 12.000,50)")
    raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")


def _currency_in_text(text: str, pre: str | None, post: str | None, arg: str | None) -> str | None:
    """The currency a money text names, checked against itself and the argument."""
    # "us$" is "US$"; a three-letter code is compared in upper case
    marks = [mark.upper() if mark[0].isascii() and mark[0].isalpha() else mark for mark in (pre, post) if mark]
    codes = {mark for mark in marks if _CURRENCY_CODE_RE.fullmatch(mark)}
    symbols = {mark for mark in marks if mark in _SYMBOLS}
    if len(codes) + len(symbols) < len(set(marks)):
        raise InvalidValue(None, text, f"is not an amount {_AMOUNT_EXAMPLES}")  # e.g. "X$"
    if len(codes) > 1 or len(symbols) > 1:
        raise InvalidValue(None, text, f"has conflicting currencies ({' and '.join(sorted(set(marks)))})")
    code = next(iter(codes), None)
    symbol = next(iter(symbols), None)
    if code and symbol and not _symbol_allows(symbol, code):
        raise InvalidValue(None, text, f"has conflicting currencies ({symbol} and {code})")
    if code:
        if arg and arg != code:
            raise InvalidValue(None, text, f"is in {code} but the currency is {arg}")
        return code
    if symbol:
        if arg:
            if not _symbol_allows(symbol, arg):
                raise InvalidValue(None, text, f"is in {_SYMBOLS[symbol]} ({symbol}) but the currency is {arg}")
            return arg
        return _SYMBOLS[symbol]
    return None


def _symbol_allows(symbol: str, code: str) -> bool:
    return _SYMBOLS[symbol] == code or code in _SYMBOL_FAMILIES.get(symbol, frozenset())


def _scaled_minor(text: str, digits: str, exponent: int, decimals: int, currency: str | None) -> int:
    """digits (e.g. '1.2345') x 10**exponent in minor units, exactly, with the size and decimals checks.

    Works on the digit strings so that no context rounding and no giant int() can happen.
    """
    int_part, _, frac = digits.partition(".")
    int_part = int_part.lstrip("0")
    frac = frac.rstrip("0")
    if int_part and len(int_part) + exponent > len(str(MAX_AMOUNT)):
        raise InvalidValue(None, text, f"is too large (over {MAX_AMOUNT:,})")
    shift = exponent + decimals - len(frac)
    if shift < 0:
        raise InvalidValue(None, text, _decimals_reason(currency, decimals))
    minor = int((int_part + frac) or "0") * 10**shift
    if minor > MAX_AMOUNT * 10**decimals:
        raise InvalidValue(None, text, f"is too large (over {MAX_AMOUNT:,})")
    return minor


def to_minor(amount: Decimal, currency: str) -> int:
    """A Decimal amount in minor units of ``currency``, exactly (sign kept).

    Raises InvalidValue for NaN/Infinity, more decimals than the currency has
    (trailing zeros do not count) and amounts over 10,000,000,000,000.
    """
    if not amount.is_finite():
        raise InvalidValue(None, str(amount), f"is not an amount {_AMOUNT_EXAMPLES}")
    decimals = currency_decimals(currency)
    if amount and amount.adjusted() >= len(str(MAX_AMOUNT)):
        raise InvalidValue(None, str(amount), f"is too large (over {MAX_AMOUNT:,})")
    sign, digit_tuple, exp = amount.as_tuple()
    assert isinstance(exp, int)  # finite
    coefficient = int("".join(map(str, digit_tuple)) or "0")
    shift = exp + decimals
    if shift >= 0:
        minor = coefficient * 10**shift
    else:
        minor, remainder = divmod(coefficient, 10**-shift)
        if remainder:
            raise InvalidValue(None, str(amount), _decimals_reason(currency.upper(), decimals))
    if minor > MAX_AMOUNT * 10**decimals:
        raise InvalidValue(None, str(amount), f"is too large (over {MAX_AMOUNT:,})")
    return -minor if sign else minor


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """Integer minor units as an exact Decimal with the currency's places: 1234567 EUR -> 12345.67."""
    decimals = currency_decimals(currency)
    digit_tuple = tuple(int(ch) for ch in str(abs(minor)))
    return Decimal((1 if minor < 0 else 0, digit_tuple, -decimals))


def format_money(minor: int | None, currency: str, *, symbol: bool = False) -> str:
    """1234567 EUR -> '12,345.67 EUR' (or '€12,345.67' with symbol=True); None -> ''.

    The plain form is what parse_money reads back, so it is safe in exports.
    A currency without a symbol keeps its code even with symbol=True.
    """
    if minor is None:
        return ""
    code = currency.strip().upper()
    decimals = currency_decimals(code)
    whole, fraction = divmod(abs(minor), 10**decimals)
    number = f"{whole:,}" + (f".{fraction:0{decimals}d}" if decimals else "")
    sign = "-" if minor < 0 else ""
    if symbol and code in _SYMBOL_FOR_CODE:
        return f"{sign}{_SYMBOL_FOR_CODE[code]}{number}"
    return f"{sign}{number} {code}"


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

MIN_YEAR = 1900
MAX_YEAR = 2200

_DATE_EXAMPLES = "(examples: 2026-12-05, Dec 5 2026, today, +30d, friday)"

_MONTHS: dict[str, int] = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3,
    "apr": 4, "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}


def month_number(name: str) -> int | None:
    """'April' / 'apr' -> 4; None for anything else."""
    return _MONTHS.get(name.strip().lower())


_WEEKDAYS: dict[str, int] = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RELATIVE_UNITS: dict[str, str] = {
    "d": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "m": "m", "mo": "m", "month": "m", "months": "m",
    "y": "y", "yr": "y", "yrs": "y", "year": "y", "years": "y",
}
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RELATIVE_RE = re.compile(r"(in\s+)?([+-]?)\s*([0-9]{1,6})\s*([a-z]+)(\s+ago)?")
_WEEKDAY_RE = re.compile(r"(?:(next|last|this)\s+)?([a-z]+)")
_END_OF_RE = re.compile(r"(?:end\s+of\s+(?:the\s+)?(?:(this|next|last)\s+)?(month|quarter|year)|eo(m|q|y))")
_DM_RE = re.compile(r"([0-9]{1,2})([/.])([0-9]{1,2})")  # a day and month without a year: 31/12, 1/15
_DMY_RE = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})")
_DMY_SHORT_YEAR_RE = re.compile(r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{2})")
_YMD_RE = re.compile(r"([0-9]{4})([/.-])([0-9]{1,2})\2([0-9]{1,2})")
_TIME_TAIL_RE = re.compile(
    r"(?P<date>.+?)(?:[Tt]|\s+)"
    r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:[.,][0-9]{1,9})?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
    r"\s*(?P<tz>[Zz]|UTC|GMT|utc|gmt|[+-][0-9]{2}(?::?(?P<tzminute>[0-9]{2}))?"
    # a zone's abbreviation, as CRMs and mail clients write it (dropped as an offset is: the wall time is kept)
    r"|(?i:[ECMP][SD]T|AK[SD]T|HST|[WCE]ES?T|BST|IST|MSK|[AJK]ST|AE[SD]T|NZ[SD]T))?"
)
_WORD_RE = re.compile(r"[a-z]+")
_NUMBER_TOKEN_RE = re.compile(r"[0-9]+")


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def as_timestamp(when: str) -> str:
    """A stored day or timestamp as a timestamp: a day (YYYY-MM-DD) is its midnight (stage changes, created_at)."""
    return when if len(when) > 10 else f"{when}T00:00:00"


def add_months(d: date, n: int) -> date:
    """d plus n calendar months, the day clamped to the month's end (Jan 31 + 1 -> Feb 28/29).

    Raises ValueError when the result is outside what ``date`` can hold.
    """
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    return date(year, month, min(d.day, _days_in_month(year, month)))


def _as_date(today: date) -> date:
    return today.date() if isinstance(today, datetime) else today


def _in_range(text: str, d: date) -> date:
    if not MIN_YEAR <= d.year <= MAX_YEAR:
        raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})")
    return d


def _make_date(text: str, year: int, month: int, day: int) -> date:
    try:
        d = date(year, month, day)
    except ValueError:
        raise InvalidValue(None, text, "is not a valid date") from None
    return _in_range(text, d)


def parse_date(text: str, today: date, day_first: bool | None = None, *, past: bool = False,
               fiscal_start: int = 1) -> date:
    """Parse a date as people type it; ``today`` anchors the relative forms.

    In order:

    - ``YYYY-MM-DD`` (fast path; only this strict ISO form, not ``20261126``);
    - ``today``, ``tomorrow``, ``yesterday`` (any case);
    - relative: ``+3d``, ``-2w``, ``+1m``, ``+1y``, ``3d`` (no sign means the
      future), ``3 days``, ``in 3 days``, ``3 days ago``; units d/w/m/y and
      day(s)/week(s)/month(s)/year(s); months clamp to the month end;
    - weekday names ``friday``/``fri``/``next friday``: the next such day
      strictly after today (``next friday`` is the same as ``friday``), so that
      ``deal park --until friday`` on a Friday parks for a week; ``last friday``
      is the one strictly before today;
    - ``next week``/``next month``/``next year``: a week, month or year from
      today (``+1w``, ``+1m``, ``+1y``); ``last week`` etc. one before;
    - ``end of month``/``eom``, ``end of quarter``/``eoq`` and ``end of
      year``/``eoy``: the last day of today's month, quarter or year, the
      quarter and year fiscal ones when ``fiscal_start`` (the fiscal year's
      first month) is not January, as the reports' periods are; ``end of next
      month`` (``next``/``last``/``this``) one on;
    - ``this friday``: the nearest Friday on or after today (``past``: on or before it), today
      included: "this Monday" said on a Friday is the coming one, whatever day a week starts;
    - ``D/M`` or ``M/D`` without a year (``31/12``, ``1/15``): as ``Dec 5`` is, read as a full date is;
    - ``D/M/YYYY`` or ``M/D/YYYY`` with ``/``, ``.`` or ``-``: when both
      numbers are 12 or less and differ, ``day_first`` decides and, when it
      is None, the date is refused as ambiguous; when one number is over 12,
      the only possible reading is used whatever ``day_first`` says;
      ``YYYY/M/D`` (year first) is always year-month-day;
    - forms with a month name, read by python-dateutil: ``Dec 5 2026``,
      ``5 December 2026``, ``December 5, 2026``, ``Sat, Dec 5, 2026`` (a
      weekday that does not match the date is refused). A month and day
      without a year (``Dec 5``) means the next such day on or after today, unless it
      was a month or less ago (``Nov 20`` typed on Nov 28 is that Nov 20, not next year's).

    ``past=True`` is for dates that say when something happened (``--date``,
    ``--since``): a bare weekday is the one strictly before today, a month and
    day without a year the last one on or before today (unless it is a month or
    less ahead: then that one, which the caller refuses as in the future), and a
    relative date without a sign counts back (``3d`` = ``3 days ago``; ``+3d`` is
    still ahead).

    Refused: empty text, bare numbers (``2026``, ``99``; spreadsheet serials
    go through ``excel_serial_to_date``), two-digit years, times of day
    (use ``parse_date_or_datetime``), impossible dates (``2026-02-31``:
    "is not a valid date"), years outside 1900..2200.
    """
    return _parse_date(text, _as_date(today), day_first, allow_time=False, past=past, fiscal_start=fiscal_start)


def parse_date_or_datetime(text: str, today: date, day_first: bool | None = None) -> date:
    """Like ``parse_date``, but a time of day may follow; the date part is returned.

    Accepts ``2024-01-22T16:14:25.000+0000``, ``2024-01-22 16:14``,
    ``1/22/2024 4:14 PM`` (with ``day_first`` as for dates) and dateutil forms
    such as ``Dec 5 2026 10:30``. The date is the one written: a time-zone
    offset is not converted.
    """
    today = _as_date(today)
    s = text.strip()
    tail = _TIME_TAIL_RE.fullmatch(s) if len(s) <= 80 else None
    if tail:
        _check_time(text, tail)
        return _parse_date_part(text, tail.group("date").strip(), today, day_first)
    return _parse_date(text, today, day_first, allow_time=True)


def time_of_day(text: str) -> tuple[int, int, int] | None:
    """The (hour, minute, second) a date written with a time of day gives (``1/22/2024 4:14 PM`` -> 16, 14,
    0), as written (a zone is not converted); None without one. The text is checked by parse_date_or_datetime."""
    s = text.strip()
    tail = _TIME_TAIL_RE.fullmatch(s) if len(s) <= 80 else None
    if tail is None:
        return None
    hour = int(tail.group("hour"))
    ampm = (tail.group("ampm") or "").lower()[:1]
    if ampm == "p" and hour < 12:
        hour += 12
    elif ampm == "a" and hour == 12:
        hour = 0
    return hour, int(tail.group("minute")), min(int(tail.group("second") or 0), 59)


def date_and_time(text: str) -> tuple[str, tuple[int, int, int]] | None:
    """A date written with a time of day, split: (the date as written, (hour, minute, second)); None without
    a time. The time is checked (an invalid one is refused); the date is the caller's to read."""
    s = text.strip()
    tail = _TIME_TAIL_RE.fullmatch(s) if len(s) <= 80 else None
    if tail is None:
        return None
    _check_time(text, tail)
    clock = time_of_day(s)
    assert clock is not None
    return tail.group("date"), clock


def _check_time(text: str, tail: re.Match[str]) -> None:
    hour, minute = int(tail.group("hour")), int(tail.group("minute"))
    second = int(tail.group("second") or 0)
    tz_minute = int(tail.group("tzminute") or 0)
    ok_hour = 1 <= hour <= 12 if tail.group("ampm") else hour <= 23
    if not (ok_hour and minute <= 59 and second <= 60 and tz_minute <= 59):
        raise InvalidValue(None, text, "has an invalid time of day")


def _parse_date_part(text: str, part: str, today: date, day_first: bool | None) -> date:
    """parse_date on the date part of a timestamp, errors quoting the whole text."""
    try:
        return _parse_date(part, today, day_first, allow_time=False)
    except InvalidValue as exc:
        raise InvalidValue(None, text, exc.reason) from None


def _parse_date(text: str, today: date, day_first: bool | None, *, allow_time: bool, past: bool = False,
                fiscal_start: int = 1) -> date:
    s = text.strip()
    # Fast path: strict YYYY-MM-DD, the form exports and scripts use. With
    # dashes at 4 and 7 in 10 ASCII characters fromisoformat takes nothing else.
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.isascii():
        try:
            d = date.fromisoformat(s)
        except ValueError:
            if _ISO_DATE_RE.fullmatch(s):
                raise InvalidValue(None, text, "is not a valid date") from None
        else:
            if MIN_YEAR <= d.year <= MAX_YEAR:
                return d
            raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})")
    if not s:
        raise InvalidValue(None, text, f"is empty {_DATE_EXAMPLES}")
    if len(s) > 80:
        raise InvalidValue(None, text, f"is not a date {_DATE_EXAMPLES}")
    if _has_foreign_digits(s):
        raise InvalidValue(None, text, "has digits other than 0-9")
    low = " ".join(s.lower().split())

    if low == "today":
        return today
    if low in ("tomorrow", "yesterday"):
        try:
            return _in_range(text, today + timedelta(days=1 if low == "tomorrow" else -1))
        except OverflowError:
            raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})") from None

    relative = _RELATIVE_RE.fullmatch(low)
    if relative and relative.group(4) in _RELATIVE_UNITS:
        return _relative_date(text, relative, today, past=past)

    weekday = _WEEKDAY_RE.fullmatch(low)
    if weekday and weekday.group(1) in ("next", "last") and weekday.group(2) in ("week", "month", "year"):  # +1w
        return _shift(text, today, -1 if weekday.group(1) == "last" else 1, weekday.group(2)[0])
    if weekday and weekday.group(2) in _WEEKDAYS and weekday.group(1) == "this":  # the nearest, today included
        gap = (_WEEKDAYS[weekday.group(2)] - today.weekday()) % 7
        return _in_range(text, today - timedelta(days=(7 - gap) % 7) if past else today + timedelta(days=gap))
    if weekday and weekday.group(2) in _WEEKDAYS:
        target = _WEEKDAYS[weekday.group(2)]
        back = weekday.group(1) == "last" or (past and weekday.group(1) != "next")
        if back:
            shift = -((today.weekday() - target - 1) % 7 + 1)
        else:
            shift = (target - today.weekday() - 1) % 7 + 1
        try:
            return _in_range(text, today + timedelta(days=shift))
        except OverflowError:
            raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})") from None
    end_of = _END_OF_RE.fullmatch(low)
    if end_of:
        return _end_of(text, today, (end_of.group(2) or end_of.group(3))[0],
                       {"next": 1, "last": -1}.get(end_of.group(1) or "", 0), fiscal_start)

    numeric = None if allow_time else _DM_RE.fullmatch(s)  # (typed, not a file's cell: a file writes the year)
    if numeric:
        first, second = int(numeric.group(1)), int(numeric.group(3))
        try:  # (which number is the day, as for a full date; 2000 lets 29/2 through)
            leap = _day_month_year(text, first, second, 2000, day_first)
        except InvalidValue as exc:
            if exc.reason.startswith("is ambiguous"):
                abbr = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
                raise InvalidValue(None, text, f"is ambiguous (day/month); write {first} {abbr[second - 1]} or"
                                   f" {second} {abbr[first - 1]}, or set day_first") from None
            raise
        return _month_day(text, leap.month, leap.day, today, past=past)

    numeric = _DMY_RE.fullmatch(s)
    if numeric:
        return _day_month_year(text, int(numeric.group(1)), int(numeric.group(3)), int(numeric.group(4)), day_first)
    numeric = _YMD_RE.fullmatch(s)
    if numeric:
        return _make_date(text, int(numeric.group(1)), int(numeric.group(3)), int(numeric.group(4)))
    if _DMY_SHORT_YEAR_RE.fullmatch(s):
        raise InvalidValue(None, text, "has a two-digit year; write the year with four digits")
    if s.isdigit():
        raise InvalidValue(None, text, f"is a number, not a date {_DATE_EXAMPLES}")

    if not allow_time:
        tail = _TIME_TAIL_RE.fullmatch(s)
        if tail:
            raise InvalidValue(None, text, "has a time of day; give a date only (2026-12-05)")
    words = _WORD_RE.findall(low)
    if any(word in _MONTHS for word in words):
        return _parse_with_dateutil(text, " ".join(s.split()), words, today, allow_time=allow_time, past=past)
    raise InvalidValue(None, text, f"is not a date {_DATE_EXAMPLES}")


def _end_of(text: str, today: date, unit: str, n: int, fiscal_start: int = 1) -> date:
    """The last day of today's month, quarter or year (unit m, q, y), or of the n-th one on; quarters and
    years start at the fiscal year's first month."""
    months = {"m": 1, "q": 3, "y": 12}[unit]
    back = (today.month - (fiscal_start if unit != "m" else 1)) % months  # months since this one started
    try:
        first = add_months(date(today.year, today.month, 1), -back)
        return _in_range(text, add_months(first, months * (n + 1)) - timedelta(days=1))
    except (OverflowError, ValueError):
        raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})") from None


def _relative_date(text: str, m: re.Match[str], today: date, *, past: bool = False) -> date:
    in_, sign, count, unit, ago = m.group(1), m.group(2), int(m.group(3)), _RELATIVE_UNITS[m.group(4)], m.group(5)
    if ago and (sign or in_):
        raise InvalidValue(None, text, f"is not a date {_DATE_EXAMPLES}")
    n = -count if sign == "-" or ago or (past and not sign and not in_) else count
    return _shift(text, today, n, unit)


def _shift(text: str, today: date, n: int, unit: str) -> date:
    """today moved n days, weeks, months or years (unit d, w, m, y); months clamp to the month's end."""
    try:
        if unit == "d":
            result = today + timedelta(days=n)
        elif unit == "w":
            result = today + timedelta(weeks=n)
        else:
            result = add_months(today, n * 12 if unit == "y" else n)
    except (OverflowError, ValueError):
        raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})") from None
    return _in_range(text, result)


def _day_month_year(text: str, first: int, second: int, year: int, day_first: bool | None) -> date:
    """D/M/YYYY or M/D/YYYY: the only possible reading, else day_first decides."""
    if first <= 12 and second <= 12 and first != second:
        if day_first is None:
            as_day_first = _make_date(text, year, second, first)
            as_month_first = _make_date(text, year, first, second)
            raise InvalidValue(
                None, text,
                f"is ambiguous (day/month); write {as_day_first.isoformat()} "
                f"or {as_month_first.isoformat()}, or set day_first",
            )
        day, month = (first, second) if day_first else (second, first)
    elif first > 12 and second <= 12:
        day, month = first, second
    elif second > 12 and first <= 12:
        day, month = second, first
    else:  # equal numbers, or both over 12 (refused below)
        day, month = first, second
    return _make_date(text, year, month, day)


def _parse_with_dateutil(text: str, s: str, words: list[str], today: date, *, allow_time: bool,
                         past: bool = False) -> date:
    """Forms with a month name ('Dec 5 2026'), read by dateutil and checked strictly.

    A weekday word is removed first (dateutil would move the date to it) and
    checked against the result instead.
    """
    weekday_words = [word for word in words if word in _WEEKDAYS]
    cleaned = s
    for word in weekday_words:
        cleaned = re.sub(rf"\b{word}\b\.?,?", " ", cleaned, flags=re.IGNORECASE)
    readings = _read_with_dateutil(" ".join(cleaned.split()), allow_time)
    if isinstance(readings, str):
        raise InvalidValue(None, text, readings)
    first, second = readings

    has_time = first.tzinfo is not None or any(
        getattr(first, field) == getattr(second, field) for field in ("hour", "minute", "second", "microsecond")
    )
    if has_time and not allow_time:
        raise InvalidValue(None, text, "has a time of day; give a date only (2026-12-05)")
    if first.month != second.month:
        raise InvalidValue(None, text, f"is not a date {_DATE_EXAMPLES}")
    if first.day != second.day:
        short = [n for n in _NUMBER_TOKEN_RE.findall(cleaned) if len(n) <= 3]
        if short and first.year == second.year:  # "Dec 45": a day past the month's end, read as the year 2045
            import calendar

            raise InvalidValue(None, text, f"is not a valid date (no day {int(short[0])} in"
                                           f" {calendar.month_name[first.month]})")
        raise InvalidValue(None, text, "has no day of the month (a month is a period, not a date)")
    if first.year == second.year:
        if str(first.year) not in _NUMBER_TOKEN_RE.findall(cleaned):
            raise InvalidValue(None, text, "has a two-digit year; write the year with four digits")
        result = _in_range(text, first.date())
    else:
        result = _month_day(text, first.month, first.day, today, past=past)
    if weekday_words and any(_WEEKDAYS[word] != result.weekday() for word in weekday_words):
        raise InvalidValue(None, text, f"is not a {_WEEKDAY_NAMES[result.weekday()]} (the weekday does not match)")
    return result


@lru_cache(maxsize=1024)  # imports repeat the same few dates; the result is pure
def _read_with_dateutil(cleaned: str, allow_time: bool) -> tuple[datetime, datetime] | str:
    """Two dateutil readings of the text with different defaults, or why it cannot be read.

    A field that differs between the two readings was filled in by dateutil,
    not given by the text.
    """
    from dateutil import parser as dateutil_parser  # lazy: keeps startup cheap

    first_default = datetime(2000, 1, 1, 1, 1, 1, 1)
    second_default = datetime(2004, 2, 2, 2, 2, 2, 2)  # both leap years, so "Feb 29" parses
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
            # with a time allowed the zone is irrelevant (the date is kept as written)
            first = dateutil_parser.parse(cleaned, default=first_default, ignoretz=allow_time)
            second = dateutil_parser.parse(cleaned, default=second_default, ignoretz=allow_time)
    # dateutil raises ParserError (a ValueError), OverflowError, TypeError in
    # some versions, and UnknownTimezoneWarning (a RuntimeWarning) made an error above
    except (ValueError, ArithmeticError, TypeError, LookupError, RuntimeWarning) as exc:
        if "out of range" in str(exc) or "must be in" in str(exc):
            return "is not a valid date"
        return f"is not a date {_DATE_EXAMPLES}"
    return first, second


def _month_day(text: str, month: int, day: int, today: date, *, past: bool = False) -> date:
    """The next month-day on or after today, or (past) the last one on or before it (Feb 29: the
    nearest leap year). One a month or less on the other side of today stays there: "Dec 1" typed
    as a past date on Nov 27 is not last year's, "Nov 20" typed as a due date on Nov 27 not next
    year's (the caller refuses or notes a date on the wrong side)."""
    for year in (today.year, today.year + 1 if past else today.year - 1):  # ("Dec 20" due on Jan 2: 13 days ago)
        try:
            near = date(year, month, day)
        except ValueError:
            continue
        if today < near <= today + timedelta(days=31) if past else today - timedelta(days=31) <= near < today:
            return _in_range(text, near)
    years = range(today.year, today.year - 9, -1) if past else range(today.year, today.year + 9)
    for year in years:
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return _in_range(text, candidate)
    raise InvalidValue(None, text, "is not a valid date")


_EXCEL_SERIAL_RE = re.compile(r"([0-9]{5})(?:\.[0-9]+)?")


def excel_serial_to_date(text: str) -> date:
    """A spreadsheet date serial ('45292' -> 2024-01-01), 1900 date system.

    Only five-digit serials 20000..80000 (1954..2119) are read, so that an id
    or an amount is never mistaken for a date; a fractional part (the time of
    day, '45292.75') is dropped. Excel's fictitious 1900-02-29 (serial 60)
    is accounted for.
    """
    m = _EXCEL_SERIAL_RE.fullmatch(text.strip())
    serial = int(m.group(1)) if m else -1
    if not 20000 <= serial <= 80000:
        raise InvalidValue(None, text, "is not a spreadsheet date serial (a number from 20000 to 80000)")
    # Excel counts a 1900-02-29 that never was (serial 60), so every serial
    # after it is one day ahead of a count from 1899-12-31: hence 1899-12-30.
    return date(1899, 12, 30) + timedelta(days=serial)


def excel_serial_to_datetime(text: str) -> datetime:
    """A spreadsheet date-time serial ('45292.75' -> 2024-01-01 18:00:00), to the nearest second."""
    day = excel_serial_to_date(text)
    _, _, fraction = text.strip().partition(".")
    seconds = round(Decimal(f"0.{fraction or 0}") * 86400)
    return datetime.combine(day, time()) + timedelta(seconds=min(seconds, 86399))


# ---------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------

_PERIOD_EXAMPLES = (
    "(examples: 2026, FY2026, 2026-Q4, 2026-11, 2026-W48, this-month, last-quarter, "
    "ytd, 2026-01-01..2026-03-31)"
)


@dataclass(frozen=True)
class Period:
    """A span of days, ``end`` exclusive, with the label a report prints."""

    start: date
    end: date
    label: str

    def contains(self, d: date) -> bool:
        """Whether d falls in [start, end)."""
        return self.start <= d < self.end

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days


def _check_settings(fiscal_year_start_month: int, week_start: int = 0) -> None:
    if not 1 <= fiscal_year_start_month <= 12:
        raise InvalidValue("fiscal_year_start_month", str(fiscal_year_start_month), "is not a month (1-12)")
    if not 0 <= week_start <= 6:
        raise InvalidValue("week_start", str(week_start), "is not a weekday (0=Monday .. 6=Sunday)")


def _year_label(fiscal_year: int, fiscal_year_start_month: int) -> str:
    return str(fiscal_year) if fiscal_year_start_month == 1 else f"FY{fiscal_year}"


def _fiscal_year_period(fiscal_year: int, fiscal_year_start_month: int) -> Period:
    start = date(fiscal_year, fiscal_year_start_month, 1)
    return Period(start, add_months(start, 12), _year_label(fiscal_year, fiscal_year_start_month))


def _fiscal_quarter_period(fiscal_year: int, quarter: int, fiscal_year_start_month: int) -> Period:
    start = add_months(date(fiscal_year, fiscal_year_start_month, 1), 3 * (quarter - 1))
    label = f"{_year_label(fiscal_year, fiscal_year_start_month)}-Q{quarter}"
    return Period(start, add_months(start, 3), label)


def span_label(start: date, end: date, fiscal_year_start_month: int = 1) -> str:
    """The label parse_period gives a span [start, end): its fiscal year or quarter, its month, its ISO
    week, else START..LAST (a target's label, redone when the fiscal year start changes)."""
    fy = _fiscal_year_of(start, fiscal_year_start_month)
    candidates = [_fiscal_year_period(fy, fiscal_year_start_month), _month_period(start.year, start.month),
                  *(_fiscal_quarter_period(fy, q, fiscal_year_start_month) for q in range(1, 5)),
                  week_of(start, 0)]  # an ISO week (Monday to Sunday)
    for period in candidates:
        if (period.start, period.end) == (start, end):
            return period.label
    return _range_period(start, end).label


def _fiscal_year_of(d: date, fiscal_year_start_month: int) -> int:
    return d.year if d.month >= fiscal_year_start_month else d.year - 1


def fiscal_year(d: date, fiscal_year_start_month: int = 1) -> Period:
    """The fiscal year containing d, named by the calendar year in which it starts.

    With a fiscal start in April, 2027-02-10 is in FY2026 = 2026-04-01..2027-04-01.
    The label is '2026' for calendar years and 'FY2026' otherwise.
    """
    _check_settings(fiscal_year_start_month)
    return _fiscal_year_period(_fiscal_year_of(d, fiscal_year_start_month), fiscal_year_start_month)


def fiscal_quarter(d: date, fiscal_year_start_month: int = 1) -> Period:
    """The fiscal quarter containing d; Q1 starts at the fiscal year's first month.

    Labelled '2026-Q4' for calendar years, 'FY2026-Q4' otherwise; both forms parse back.
    """
    _check_settings(fiscal_year_start_month)
    fy = _fiscal_year_of(d, fiscal_year_start_month)
    quarter = (d.month - fiscal_year_start_month) % 12 // 3 + 1
    return _fiscal_quarter_period(fy, quarter, fiscal_year_start_month)


def _week_label(start: date, week_start: int) -> str:
    if week_start == 0:
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return f"week of {start.isoformat()}"


def week_of(d: date, week_start: int = 0) -> Period:
    """The 7-day week containing d; week_start 0=Monday .. 6=Sunday.

    Labelled with the ISO week ('2026-W48') for Monday weeks, else 'week of 2026-11-22'.
    """
    _check_settings(1, week_start)
    start = d - timedelta(days=(d.weekday() - week_start) % 7)
    return Period(start, start + timedelta(days=7), _week_label(start, week_start))


def _month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, add_months(start, 1), f"{year}-{month:02d}")


def _day_period(d: date) -> Period:
    return Period(d, d + timedelta(days=1), d.isoformat())


def _range_period(start: date, end_exclusive: date) -> Period:
    return Period(start, end_exclusive, f"{start.isoformat()}..{(end_exclusive - timedelta(days=1)).isoformat()}")


_YEAR_RE = re.compile(r"(?:fy-?)?([0-9]{4})")
_QUARTER_RE = re.compile(r"(?:fy-?)?([0-9]{4})-?q([0-9]+)|q([0-9]+)-(?:fy-?)?([0-9]{4})")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_MONTH_NAME_RE = re.compile(r"([a-z]+)-([0-9]{4})|([0-9]{4})-([a-z]+)")
_WEEK_RE = re.compile(r"([0-9]{4})-?w([0-9]{1,2})")
_WEEK_OF_RE = re.compile(r"week\s*of\s+(.+)")


def parse_period(text: str, today: date, fiscal_year_start_month: int = 1, week_start: int = 0,
                 day_first: bool | None = None) -> Period:
    """Parse a period; the result's ``end`` is exclusive.

    Forms (any case; spaces or underscores may replace dashes):

    - ``2026`` / ``FY2026``: the fiscal year that *starts* in 2026 (with a
      fiscal start in April: 2026-04-01..2027-04-01), labelled ``2026`` for
      calendar years and ``FY2026`` otherwise;
    - ``2026-Q4`` (also ``FY2026-Q4``, ``2026Q4``, ``Q4 2026``): fiscal
      quarter of that fiscal year, Q1 starting at the fiscal start month;
    - ``2026-11`` or ``Nov 2026``: a calendar month;
    - ``Q4`` / ``November`` (``nov``): that quarter, that month, of the current fiscal year (with a
      fiscal start in April, on 2026-02-10 ``November`` is 2025-11 and ``March`` 2026-03);
    - ``2026-W48``: an ISO week (always Monday to Sunday);
    - ``this-``/``last-``/``next-`` + ``week``/``month``/``quarter``/``year``,
      weeks starting on ``week_start`` (0=Monday .. 6=Sunday), quarters and
      years fiscal; labelled concretely (``2026-Q4``, ``2026-W48`` or
      ``week of 2026-11-22`` when weeks do not start on Monday);
    - ``ytd``, ``qtd``, ``mtd``: from the start of the fiscal year, fiscal
      quarter or month through today, labelled as a range;
    - ``today``, ``yesterday``, ``tomorrow`` or an ISO date: that one day;
    - ``week of DATE``: the week containing DATE;
    - ``A..B``: from the start of A through the end of B, each a date
      (``2026-01-01..2026-03-31``, end inclusive as typed) or a period
      (``2026-Q1..2026-Q2``); labelled ``2026-01-01..2026-03-31``; a date such as
      ``03/11/2026`` read with day_first (None: refused as ambiguous, as typed dates are).
    """
    _check_settings(fiscal_year_start_month, week_start)
    today = _as_date(today)
    s = " ".join(text.strip().lower().split())
    if not s:
        raise InvalidValue(None, text, f"is empty {_PERIOD_EXAMPLES}")
    if len(s) > 80 or _has_foreign_digits(s):
        raise InvalidValue(None, text, f"is not a period {_PERIOD_EXAMPLES}")
    try:
        if ".." in s:
            return _parse_range(text, s, today, fiscal_year_start_month, week_start, day_first)
        try:
            return _parse_single_period(text, s, today, fiscal_year_start_month, week_start)
        except InvalidValue:
            day = _year_less(s, today, day_first)  # Nov 20: that day this year
            if day is not None:
                return _day_period(day)
            if day_first is None or "/" not in s:
                raise
            return _day_period(parse_date(s, today, day_first))  # 03/11/2026 with day_first set: that day
    except (OverflowError, ValueError):  # date arithmetic past year 9999
        raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})") from None


def _parse_range(text: str, s: str, today: date, fiscal_year_start_month: int, week_start: int,
                 day_first: bool | None = None) -> Period:
    start_text, _, end_text = s.partition("..")
    sides = []
    for side in (start_text.strip(), end_text.strip()):
        if not side:
            raise InvalidValue(None, text, "is not a range (write 2026-01-01..2026-03-31)")
        try:
            sides.append(_parse_single_period(side, side, today, fiscal_year_start_month, week_start))
        except InvalidValue as period_error:
            try:
                sides.append(_day_period(_period_day(side, today, day_first)))
            except InvalidValue:
                raise InvalidValue(None, text, f'is not a range: "{side}" {period_error.reason}') from None
    first, last = sides
    if last.end <= first.start and _year_less(start_text.strip(), today, day_first) \
            and _year_less(end_text.strip(), today, day_first):
        # `Dec 15..Jan 15`: across a new year, the one nearer today (on Nov 28 the coming one, in January the last)
        first_end = _range_period(first.start, last.end.replace(year=last.end.year + 1))
        last_end = _range_period(first.start.replace(year=first.start.year - 1), last.end)
        return min(first_end, last_end, key=lambda p: 0 if p.contains(today) else
                   min(abs((p.start - today).days), abs((p.end - today).days)))
    if last.end <= first.start and month_number(start_text) is not None:
        # `march..may` in a fiscal year from April: the March before that May (a bare month is in the current
        # fiscal year, which would put March after May)
        first = _parse_single_period(start_text.strip(), start_text.strip(), add_months(today, -12),
                                     fiscal_year_start_month, week_start)
    if last.end <= first.start:
        raise InvalidValue(None, text, "ends before it starts")
    return _range_period(first.start, last.end)


def _year_less(text: str, today: date, day_first: bool | None) -> date | None:
    """The month-day a date without a year (``Nov 20``, ``20/11``) names, in today's year; None for other dates."""
    if re.search(r"[0-9]{4}", text) or not (re.fullmatch(r"[0-9]{1,2}[/.][0-9]{1,2}", text)
                                            or any(month_number(w) for w in re.split(r"[\s,.]+", text))):
        return None  # a full date, a relative one (today, +3d, end of month) or a weekday
    try:
        found = parse_date(text, today, day_first)
    except InvalidValue:
        return None
    try:
        return date(today.year, found.month, found.day)
    except ValueError:  # Feb 29 outside a leap year: the nearest one parse_date found
        return found


def _period_day(text: str, today: date, day_first: bool | None) -> date:
    """A day of a period: a date without a year is in today's year (``Oct 1..Oct 31`` typed in November is the
    October just gone, ``Nov 20..Nov 28`` this month's days), as a month name alone is; other dates as typed."""
    return _year_less(text, today, day_first) or parse_date(text, today, day_first)


def _parse_single_period(text: str, s: str, today: date, fiscal_year_start_month: int, week_start: int) -> Period:
    fsm = fiscal_year_start_month
    key = re.sub(r"[\s_]+", "-", s)

    if key in _RELATIVE_PERIODS:
        return _RELATIVE_PERIODS[key](today, fsm, week_start)

    if len(s) == 10 and _ISO_DATE_RE.fullmatch(s):
        return _day_period(parse_date(s, today))
    week_of_match = _WEEK_OF_RE.fullmatch(s)
    if week_of_match:
        return week_of(parse_date(week_of_match.group(1), today), week_start)

    m = _YEAR_RE.fullmatch(key)
    if m:
        year = _period_year(text, m.group(1))
        return _fiscal_year_period(year, fsm)
    m = _QUARTER_RE.fullmatch(key)
    if m:
        year = _period_year(text, m.group(1) or m.group(4))
        quarter = int(m.group(2) or m.group(3))
        if not 1 <= quarter <= 4:
            raise InvalidValue(None, text, "is not a valid quarter (Q1 to Q4)")
        return _fiscal_quarter_period(year, quarter, fsm)
    m = _MONTH_RE.fullmatch(key)
    if m:
        year, month = _period_year(text, m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise InvalidValue(None, text, "is not a valid month (01 to 12)")
        return _month_period(year, month)
    m = _MONTH_NAME_RE.fullmatch(key)
    if m and (m.group(1) or m.group(4)) in _MONTHS:
        year = _period_year(text, m.group(2) or m.group(3))
        return _month_period(year, _MONTHS[m.group(1) or m.group(4)])
    m = _WEEK_RE.fullmatch(key)
    if m:
        year, week = _period_year(text, m.group(1)), int(m.group(2))
        weeks_in_year = date(year, 12, 28).isocalendar().week
        if not 1 <= week <= weeks_in_year:
            raise InvalidValue(None, text, f"is not a valid week ({year} has {weeks_in_year} ISO weeks)")
        return week_of(date.fromisocalendar(year, week, 1), 0)
    # a quarter or a month without a year: this (fiscal) year's, as people say "Q4" and "November"
    m = re.fullmatch(r"q([0-9])", key)
    if m:
        if not 1 <= int(m.group(1)) <= 4:
            raise InvalidValue(None, text, "is not a valid quarter (Q1 to Q4)")
        return _fiscal_quarter_period(_fiscal_year_of(today, fsm), int(m.group(1)), fsm)
    if key in _MONTHS:  # the month within the current fiscal year, as Q1..Q4 are (with April: March is next March)
        month = _MONTHS[key]
        start_year = _fiscal_year_of(today, fsm)
        return _month_period(start_year if month >= fsm else start_year + 1, month)
    raise InvalidValue(None, text, f"is not a period {_PERIOD_EXAMPLES}")


def _period_year(text: str, digits: str) -> int:
    year = int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(None, text, f"is out of range (years {MIN_YEAR}-{MAX_YEAR})")
    return year


def _shifted_week(today: date, week_start: int, weeks: int) -> Period:
    return week_of(today + timedelta(weeks=weeks), week_start)


def _shifted_month(today: date, months: int) -> Period:
    start = add_months(date(today.year, today.month, 1), months)
    return _month_period(start.year, start.month)


def _shifted_quarter(today: date, fsm: int, quarters: int) -> Period:
    return fiscal_quarter(add_months(fiscal_quarter(today, fsm).start, 3 * quarters), fsm)


def _shifted_year(today: date, fsm: int, years: int) -> Period:
    return _fiscal_year_period(_fiscal_year_of(today, fsm) + years, fsm)


def _to_date(start: date, today: date) -> Period:
    return _range_period(start, today + timedelta(days=1))


_RELATIVE_PERIODS = {
    "today": lambda t, f, w: _day_period(t),
    "yesterday": lambda t, f, w: _day_period(t - timedelta(days=1)),
    "tomorrow": lambda t, f, w: _day_period(t + timedelta(days=1)),
    "this-week": lambda t, f, w: _shifted_week(t, w, 0),
    "last-week": lambda t, f, w: _shifted_week(t, w, -1),
    "next-week": lambda t, f, w: _shifted_week(t, w, 1),
    "this-month": lambda t, f, w: _shifted_month(t, 0),
    "last-month": lambda t, f, w: _shifted_month(t, -1),
    "next-month": lambda t, f, w: _shifted_month(t, 1),
    "this-quarter": lambda t, f, w: _shifted_quarter(t, f, 0),
    "last-quarter": lambda t, f, w: _shifted_quarter(t, f, -1),
    "next-quarter": lambda t, f, w: _shifted_quarter(t, f, 1),
    "this-year": lambda t, f, w: _shifted_year(t, f, 0),
    "last-year": lambda t, f, w: _shifted_year(t, f, -1),
    "next-year": lambda t, f, w: _shifted_year(t, f, 1),
    "ytd": lambda t, f, w: _to_date(_shifted_year(t, f, 0).start, t),
    "qtd": lambda t, f, w: _to_date(fiscal_quarter(t, f).start, t),
    "mtd": lambda t, f, w: _to_date(date(t.year, t.month, 1), t),
}


# ---------------------------------------------------------------------------
# Numbers, flags, tags
# ---------------------------------------------------------------------------

_INT_RE = re.compile(r"-?[0-9]+")


def parse_int(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number in ASCII digits with an optional leading '-', within [minimum, maximum]."""
    s = text.strip()
    if not _INT_RE.fullmatch(s):
        raise InvalidValue(None, text, "is not a whole number")
    if len(s.lstrip("-").lstrip("0")) > 18:  # beyond int64; also keeps int() cheap
        raise InvalidValue(None, text, "is too large")
    value = int(s)
    if minimum is not None and value < minimum:
        raise InvalidValue(None, text, f"is below the minimum ({minimum})")
    if maximum is not None and value > maximum:
        raise InvalidValue(None, text, f"is above the maximum ({maximum})")
    return value


_PROBABILITY_RE = re.compile(r"([0-9]{1,3})(?:\.0+)?\s*%?")  # 60.0: a spreadsheet's float column


def parse_probability(text: str) -> int:
    """A probability as a whole percentage 0..100, '%' optional: '60', '60%', '60.0' -> 60.

    Fractions ('0.6') and decimals ('60.5') are refused rather than guessed.
    """
    m = _PROBABILITY_RE.fullmatch(text.strip())
    if m and re.fullmatch(r"0*1\.0+", text.strip()):  # a column of fractions (0.25 ... 1.0) ends in 100%
        raise InvalidValue(None, text, "is ambiguous: 1% or, as a fraction of 1, 100%? (write 1% or 100)")
    if not m or int(m.group(1)) > 100:
        reason = "is not a probability (a whole percentage 0-100, e.g. 60 or 60%)"
        fraction = re.fullmatch(r"0?\.([0-9]{1,2})0*", text.strip())
        if fraction:  # HubSpot's "Deal probability" 0.25: a share of 1, not a percentage (and 1 there is 100)
            reason += f"; a fraction of 1? write {int(fraction.group(1).ljust(2, '0'))}"
        raise InvalidValue(None, text, reason)
    return int(m.group(1))


_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


def parse_bool(text: str) -> bool:
    """true/false, yes/no (y/n), 1/0, on/off, in any case."""
    s = text.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise InvalidValue(None, text, "is not yes or no (true/false, yes/no, 1/0, on/off)")


def parse_tags(text: str) -> list[str]:
    """Tags separated by commas or semicolons: stripped, lowercased, inner spaces
    collapsed, empty ones dropped, duplicates dropped, first-seen order kept."""
    tags: dict[str, None] = {}
    parts: list[str] = re.split(r"[,;]|:::", text)  # (":::" joins Google Contacts' labels)
    if text.lstrip().startswith("[") and text.rstrip().endswith("]"):  # a JSON list of them: ["vip", "emea"]
        import json

        try:
            listed = json.loads(text)
        except ValueError:
            listed = None
        if isinstance(listed, list) and all(isinstance(t, str) for t in listed):
            parts = listed
    for part in parts:
        tag = " ".join(part.lower().split())
        if tag.startswith("* "):  # a Google Contacts system group: "* starred" is starred, "* mycontacts" every one
            tag = tag[2:] if tag != "* mycontacts" else ""
        if tag:
            tags.setdefault(tag)
    return list(tags)


def composed(text: str) -> str:
    """Text with its accents composed (Unicode NFC) when it has combining marks: "Müller" typed or pasted as u + a
    combining diaeresis (a Mac's decomposed form, NFD) is looked for as the Müller typed elsewhere (stored text
    is kept as written; text without combining marks is left as it is, a CJK compatibility ideograph included)."""
    if text.isascii():
        return text
    import unicodedata

    if not any(unicodedata.combining(ch) for ch in text):
        return text
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """The key a name is matched by: case-insensitive as the CLI's lookups are (every script's letters:
    "SOCIÉTÉ" is "Société"), runs of white space read as one space ("acme  corp" is "Acme Corp")."""
    if text.isascii():
        key = text.lower()
        if "  " in key or "\t" in key or "\n" in key or "\r" in key or "\x0b" in key or "\x0c" in key:
            return " ".join(key.split())
        return key
    return " ".join(text.casefold().split())
