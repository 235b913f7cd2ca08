"""What a valid record is. Every record that enters the database passes through these models.

Money is integer minor units beside an ISO currency code; dates are ISO strings.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from salescli.errors import InvalidValue
from salescli.values import MULTI_LINE, one_line

EMAIL_RE = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]+$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN_RE = re.compile(rf"^(?=.{{3,253}}$){_LABEL}(?:\.{_LABEL})+$")
CONTACT_STATUSES = ("lead", "prospect", "customer", "churned")
MAX_TEXT = 10_000


def _clean_optional(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _visible(value: str) -> str:
    """The text stripped, without characters that show nothing (a zero-width space pasted with an address)."""
    text = value.strip()
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
    return text


def normalize_domain(value: str) -> str:
    text = _visible(value).lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]  # a website's address: its host (acme.io?ref=x, acme.io#about)
    text = re.sub(r":[0-9]{1,5}$", "", text).rstrip(".")  # ... without a port (:443) or the root's dot (acme.io.)
    if text.startswith("www."):
        text = text[4:]
    if not text.isascii():
        # an internationalised name (münchen.de): checked in its ASCII form, kept in letters; refused when that
        # form would not read back as typed (Python's IDNA 2003 maps straße.de to strasse.de, another domain)
        try:
            ascii_form = text.encode("idna").decode("ascii")
            letters = ascii_form.encode("ascii").decode("idna")
        except UnicodeError:
            raise ValueError("is not a domain name (example: acme.io)") from None
        if letters != text:
            raise ValueError(f"is not a domain name salescli can check (its letters read back as {letters}); give"
                             " its xn-- form") if DOMAIN_RE.match(ascii_form) else \
                ValueError("is not a domain name (example: acme.io)")
        if not DOMAIN_RE.match(ascii_form):
            raise ValueError("is not a domain name (example: acme.io)")
        return text
    if not DOMAIN_RE.match(text):
        raise ValueError("is not a domain name (example: acme.io)")
    return text


def as_domain(text: str) -> str | None:
    """The text as a stored domain when it is a bare domain name ('Acme.io' -> 'acme.io', 'MÜNCHEN.de' ->
    'münchen.de', an xn-- form as it is), else None."""
    lowered = text.strip().lower()
    if DOMAIN_RE.match(lowered):
        return lowered
    if lowered.isascii() or not re.fullmatch(r"[^\s/@:]+\.[^\s/@:]+", lowered):
        return None
    try:
        return normalize_domain(lowered)
    except ValueError:
        return None


def normalize_email(value: str) -> str:
    text = _visible(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not EMAIL_RE.match(text):
        raise ValueError("is not an e-mail address")
    return text.lower()


class Record(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any, info: ValidationInfo) -> Any:
        value = _clean_optional(value)
        return one_line(value) if isinstance(value, str) and info.field_name not in MULTI_LINE else value


class CompanyData(Record):
    name: str = Field(min_length=1, max_length=300)
    domain: str | None = None
    industry: str | None = Field(default=None, max_length=200)
    segment: str | None = Field(default=None, max_length=100)
    territory: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=MAX_TEXT)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        return None if value is None else normalize_domain(value)

    @field_validator("segment")
    @classmethod
    def _segment(cls, value: str | None) -> str | None:
        return None if value is None else value.lower()

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [] if value is None else value


class ContactData(Record):
    name: str = Field(min_length=1, max_length=300)
    email: str | None = None
    phone: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=300)
    company_id: int | None = None
    owner: str | None = Field(default=None, max_length=200)
    status: Literal["lead", "prospect", "customer", "churned"] = "lead"
    source: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=MAX_TEXT)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return "lead" if value is None else str(value).strip().lower()

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: Any) -> Any:
        return [] if value is None else value


def validate(model: type[Record], data: dict[str, Any], *, option_names: bool = True,
             names: dict[str, str] | None = None) -> Any:
    """Validate, turning the first pydantic error into one `field "value" reason` line; a field is named
    as its option (--due-date), or as names gives it (a positional argument: TITLE; --task)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "value"
        value = data.get(name, first.get("input"))
        reason = first["msg"]
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, "):]
        elif first["type"] == "literal_error":
            expected = first.get("ctx", {}).get("expected", "")
            reason = f"is not one of {expected.replace(chr(39), '').replace(' or ', ', ')}"  # as other "one of"s
        elif first["type"] == "string_too_long":
            reason = f"is too long (at most {first.get('ctx', {}).get('max_length')} characters)"
        elif first["type"] in ("string_too_short", "missing") or first.get("input", "") is None:
            reason = "is required"  # a blank value was cleaned to None before the type check
        else:
            reason = reason[0].lower() + reason[1:]
        field = (names or {}).get(name) or (f"--{name.replace('_', '-')}" if option_names else name)
        raise InvalidValue(field, "" if value is None else str(value), reason) from None
