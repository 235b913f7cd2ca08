"""Deals: add, edit, move through stages under the stage rules, win, lose, reopen, park, remove;
the deal as scripts see it (``deal_view``), the list with its filters and totals, and the story
``deal show`` tells.

Every stage change (add, move, won, lost, reopen) writes one stage_history row and fires the
automations inside the same transaction, so a refused command leaves nothing behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from salescli.errors import AmbiguousReference, InvalidValue, NotFound, RuleError
from salescli.services.pipeline import (
    REQUIRED_OPTIONS,
    default_forecast_category,
    first_stage,
    missing_fields,
    normalize_forecast_category,
    required_of,
    resolve_pipeline,
    resolve_stage,
)

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row
    from salescli.repository.deals import DealQuery
    from salescli.services.crm import Sections, TagChange
    from salescli.services.money import Totals

RECURRING = ("none", "month", "year")
_RECURRING_ALIASES = {
    "none": "none", "no": "none", "one-off": "none", "oneoff": "none", "once": "none",
    "month": "month", "monthly": "month", "mrr": "month", "mo": "month",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "arr": "year", "yr": "year",
}
STATUSES = ("open", "won", "lost")

#: The keys of a deal in JSON/CSV (stable: scripts depend on them).
DEAL_KEYS = (
    "id", "title", "company_id", "company", "contact_id", "contact", "pipeline", "stage", "status",
    "amount", "currency", "probability", "weighted_amount", "forecast_category", "expected_close",
    "owner", "source", "next_step", "next_step_date", "recurring", "mrr", "arr", "won_at", "lost_at",
    "lost_reason", "lost_category", "parked_until", "park_reason", "external_id", "tags", "notes",
    "stage_age_days", "stage_entered_at", "created_at", "updated_at", "last_activity_at", "extra",
)


@lru_cache(maxsize=1)
def _deal_text_model() -> Any:
    """The pydantic model of a deal's free-text fields (built on first write: listing never pays for it)."""
    from pydantic import Field

    from salescli.models import MAX_TEXT, Record

    class DealText(Record):
        """The free-text fields of a deal, checked before anything is written."""

        title: str = Field(min_length=1, max_length=300)
        owner: str | None = Field(default=None, max_length=200)
        source: str | None = Field(default=None, max_length=200)
        next_step: str | None = Field(default=None, max_length=1000)
        external_id: str | None = Field(default=None, max_length=200)
        notes: str | None = Field(default=None, max_length=MAX_TEXT)

    return DealText


def _validated_text(data: dict[str, Any], names: dict[str, str] | None = None) -> Any:
    from salescli.models import validate

    return validate(_deal_text_model(), data, names=names)


# -- parsing what people type --------------------------------------------------------------------
def parse_recurring(text: str) -> str:
    key = text.strip().lower()
    if key == "":
        return "none"
    if key not in _RECURRING_ALIASES:
        raise InvalidValue("--recurring", text, "is not one of none, month, year")
    return _RECURRING_ALIASES[key]


def parse_forecast(text: str) -> str | None:
    """A forecast category for an open deal; 'auto' (None) derives it from the probability again."""
    if text.strip().lower() in ("auto", "derived", "default", ""):
        return None
    category = normalize_forecast_category(text)
    if category is None or category == "closed":
        raise InvalidValue("--forecast", text, "is not one of pipeline, best_case, commit, omitted, auto")
    return category


def parse_probability_or_auto(text: str) -> int | None:
    """A probability, or 'auto'/'stage' (None): follow the stage's probability again."""
    from salescli.values import parse_probability

    if text.strip().lower() in ("auto", "stage", "default"):
        return None
    try:
        return parse_probability(text)
    except InvalidValue as exc:
        raise exc.with_field("--probability") from None


def parse_status(text: str | None) -> str | None:
    if text is None or text.strip().lower() in ("", "all", "any"):
        return None
    status = text.strip().lower()
    if status not in STATUSES:
        raise InvalidValue("--status", text, "is not one of open, won, lost, all")
    return status


def parse_amount(text: str, default_currency: str, option: str = "--amount") -> tuple[int, str]:
    """Money text in minor units and its currency: the text's own currency ('€900', '12k EUR'),
    else default_currency (so '12000' is 12,000 of it, in its minor units)."""
    from salescli.values import parse_money_in

    try:
        return parse_money_in(text, default_currency)
    except InvalidValue as exc:
        raise exc.with_field(option) from None


def amount_and_currency(text: str | None, currency: str | None, default: str) -> tuple[int | None, str]:
    """--amount with --currency (which must agree with the text's own currency)."""
    from salescli.values import parse_money

    if text is None or not text.strip():
        return None, currency or default
    if currency:
        try:
            money = parse_money(text, currency)
        except InvalidValue as exc:
            raise exc.with_field("--amount") from None
        return money.minor, currency
    return parse_amount(text, default)


def _rescale(minor: int | None, old: str, new: str) -> int | None:
    """The same amount in another currency's minor units (12,000.00 USD -> 12000 JPY); no conversion."""
    from salescli.values import minor_to_decimal, to_minor

    if minor is None or old == new:
        return minor
    try:
        return to_minor(minor_to_decimal(minor, old), new)
    except InvalidValue:
        raise InvalidValue("--currency", new, f"cannot hold the amount {minor_to_decimal(minor, old)}"
                           " (too many decimals); give --amount too") from None


# -- references ----------------------------------------------------------------------------------
def resolve_deal(repo: Repository, ref: str | int, field: str = "deal") -> Row:
    """A deal by id ('12', '#12'), unique title (any case) or the external id an import gave it
    ('006Ec00000A1', 'D-0042'). Unknown: exit 3, naming field (--deal), with the titles it may have meant;
    ambiguous (two deals of the title, or one of the title and another of that external id): exit 1."""
    from salescli.services.refs import matches, parse_id, similar_names

    text = str(ref).strip()
    deal_id = parse_id(text)
    if deal_id is not None:
        row = repo.deal(deal_id)
        if row is not None:
            return row
    rows = repo.deals_titled(text) if text else []
    if len(rows) > 1:
        raise AmbiguousReference(f'deal "{ref}" is ambiguous: ' + matches(rows, _deal_told_apart),
                                 hint="use the deal id")
    by_external = repo.deal_id_by_external_id(text) if text else None
    if rows and by_external is not None and by_external != rows[0]["id"]:  # (a script's external ids must not
        # reach another deal titled so)
        raise AmbiguousReference(f'deal "{ref}" is ambiguous: the title of deal {rows[0]["id"]} and the external id'
                                 f" of deal {by_external}", hint="use the deal id")
    found_id = rows[0]["id"] if rows else by_external
    if found_id is not None:
        found = repo.deal(found_id)
        assert found is not None
        return found
    named = f"{field} {ref}" if deal_id is not None and field == "deal" else f'{field} "{ref}"'
    meant = similar_names(repo, "deals", text)
    raise NotFound(f"{named} not found" + (f"; did you mean {meant}?" if meant else ""),
                   hint="list deals with `salescli deal list`")


def _deal_told_apart(row: Row) -> str:
    """"3 Pilot (Acme, Proposal)": a deal among others of its title."""
    return f"{row['id']} {row['name']} (" + ", ".join(p for p in (row.get("company"), row.get("stage")) if p) + ")"


def _note_same_title(repo: Repository, deal_id: int, title: str, company_id: int | None) -> None:
    """Another open deal of this title at the same company (or both without one) is likely the same deal added
    twice: said, with how to refer to each from now on (a title alone is ambiguous now)."""
    twins = [r for r in repo.deals_titled(title)
             if r["id"] != deal_id and r["status"] == "open" and r["company_id"] == company_id]
    if twins:
        listed = ", ".join(str(r["id"]) for r in twins[:5])
        at = f" at {twins[0]['company']}" if twins[0].get("company") else ""
        many = len(twins) > 1
        repo.notices.append(f"note: open deal{'s' if many else ''} {listed}{at} {'are' if many else 'is'}"
                            f" also titled {title}: if a duplicate, salescli deal rm {deal_id}; else refer to each"
                            " by id")


def _links(
    repo: Repository, fields: dict[str, Any], owner: str | None, current: Row | None
) -> tuple[int | None, int | None]:
    """(company_id, contact_id) from --company/--contact; a new company name creates the company;
    the contact's company is used when no company is given."""
    from salescli.services.crm import company_by_name_or_create
    from salescli.services.refs import resolve_contact

    company_id = current["company_id"] if current else None
    contact_id = current["contact_id"] if current else None
    contact = None
    if "contact" in fields:
        ref = fields["contact"] or ""
        if ref.strip():
            contact = resolve_contact(repo, ref, "--contact")
            contact_id = contact["id"]
        else:
            contact_id = None
    if "company" in fields:
        ref = fields["company"] or ""
        company_id = company_by_name_or_create(repo, ref, owner)["id"] if ref.strip() else None
    elif contact is not None and contact.get("company_id") and company_id is None:
        company_id = contact["company_id"]
    if contact is None and "company" in fields and contact_id is not None:
        contact = repo.contact(contact_id)
    if contact is not None and contact.get("company_id") and company_id and contact["company_id"] != company_id:
        repo.notices.append(f"note: contact {contact['id']} {contact['name']} is at {contact.get('company')},"
                            " not at this deal's company")
    return company_id, contact_id


# -- rules -----------------------------------------------------------------------------------------
def _missing_error(subject: str, stage: Row, missing: list[str], deal_id: int | None) -> RuleError:
    names = ", ".join(missing)
    options = " ".join(f"{REQUIRED_OPTIONS.get(m, '--' + m)} …" for m in missing)
    how = f"salescli deal edit {deal_id} {options}" if deal_id is not None else f"pass {options}"
    return RuleError(
        f"{subject} cannot enter stage {stage['name']}: missing {names}",
        hint=f"{how}; or --force to override (recorded in the history)",
    )


def _history_date(repo: Repository, deal: Row, on_date: date | None, today: date, force: bool = False) -> str:
    """When a stage change happened: now, or a backfilled --date (not in the future, not before the
    deal's last stage change, so the history runs forward)."""
    last = repo.last_stage_change(deal["id"]) or str(deal["stage_entered_at"])[:10]
    if on_date is None:
        if today.isoformat() < last:
            # (an import's won deal with a close date ahead, or a command run with a later --today)
            if force:
                repo.notices.append(f"note: dated {last}, the day deal {deal['id']} entered {deal['stage']}"
                                    " (after today), so that its history runs forward")
                return f"{last}T00:00:00"
            raise RuleError(
                f"deal {deal['id']} entered {deal['stage']} on {last}, after today ({today.isoformat()});"
                " stage history runs forward",
                hint=f"--force dates the change {last} instead",
            )
        return repo.now()
    if on_date > today:
        raise RuleError(f"--date {on_date.isoformat()} is in the future (today is {today.isoformat()})")
    if on_date.isoformat() < last:
        raise RuleError(
            f"--date {on_date.isoformat()} is before deal {deal['id']} entered {deal['stage']} ({last});"
            " stage history runs forward",
            hint="backfill from the start: salescli deal add … --date FIRST-DAY, then move with --date in order",
        )
    stamp = f"{on_date.isoformat()}T00:00:00"  # a timestamp, as every stage change is stored
    if on_date.isoformat() == last:  # the day of the last change: not before its time (`--date today` after
        latest = repo.last_stage_change_at(deal["id"])  # a change at 21:52 was stored at midnight, before it)
        if latest is not None and latest > stamp:
            return latest
    return stamp


_TRACKED = ("stage_id", "pipeline_id", "status", "probability", "probability_set", "forecast_category",
            "forecast_category_set", "stage_entered_at", "amount_minor", "currency", "won_at", "lost_at",
            "lost_reason", "lost_category", "parked_until", "park_reason")


def _enter_stage(
    repo: Repository,
    deal: Row,
    stage: Row,
    *,
    today: date,
    action: str,
    on_date: date | None = None,
    note: str | None = None,
    force: bool = False,
    extra: dict[str, Any] | None = None,
    events: tuple[str, ...] = (),
) -> Row:
    """Move a deal into a stage under its rules: status, probability and category follow the stage;
    one stage_history row; one change-log entry; automations fired. Inside the caller's transaction."""
    from salescli.services import automations

    when = _history_date(repo, deal, on_date, today, force)
    closed = stage["kind"] != "open"
    pending = repo.open_deal_tasks(deal["id"]) if closed else []  # before the won/lost automations add theirs
    values: dict[str, Any] = {
        "stage_id": stage["id"],
        "pipeline_id": stage["pipeline_id"],
        "status": stage["kind"],
        "stage_entered_at": when,
    }
    if closed:
        values.update(probability=stage["probability"], probability_set=0,
                      forecast_category="closed", forecast_category_set=0, parked_until=None, park_reason=None)
    else:
        probability = deal["probability"] if deal["probability_set"] else stage["probability"]
        values["probability"] = probability
        if not deal["forecast_category_set"] or deal["forecast_category"] == "closed":
            values.update(forecast_category=default_forecast_category(probability), forecast_category_set=0)
    values.update(extra or {})
    missing = missing_fields({**deal, **values}, required_of(stage))
    if missing and not force:
        raise _missing_error(f"deal {deal['id']}", stage, missing, deal["id"])
    changed = {k: v for k, v in values.items() if deal.get(k) != v}
    repo.write_deal(deal["id"], {**changed, "updated_at": repo.now()})
    before: dict[str, Any] = {"stage": deal["stage"], **{k: deal.get(k) for k in changed if k in _TRACKED}}
    after: dict[str, Any] = {"stage": stage["name"], **{k: v for k, v in changed.items() if k in _TRACKED}}
    if note:
        after["note"] = note
    if missing:
        after["forced"] = "missing " + ", ".join(missing)
    repo.record_change("deal", deal["id"], action, before, after)
    repo.add_stage_history(deal["id"], deal["stage_id"], stage["id"], when, note, bool(missing))
    if stage["kind"] == "won":
        _contact_becomes_customer(repo, deal)
    row = repo.deal(deal["id"])
    assert row is not None
    day = on_date or today  # a task "due 7 days after" a deal won on --date 11-10 is due 11-17
    automations.fire(repo, row, "stage", day, stage["name"], not_before=today)
    for event in events:
        automations.fire(repo, row, event, day, not_before=today)
    _note_open_tasks(repo, deal, pending, stage["kind"])
    return row


# -- commands' core ------------------------------------------------------------------------------
def add_deal(
    repo: Repository,
    fields: dict[str, Any],
    *,
    today: date,
    pipeline: str | None = None,
    stage: str | None = None,
    force: bool = False,
    on_date: date | None = None,
    note: str | None = None,
) -> Row:
    """Create a deal in an open stage (the pipeline's first by default), under that stage's rules.

    ``fields``: title, amount (text), currency (code), probability (int|None), forecast (category|None),
    expected_close, next_step_date (date), owner, source, next_step, recurring, external_id, notes,
    tags (list), company / contact (references). Fires the 'created' and 'stage' automations.
    """
    from salescli.services import automations

    with repo.write():
        settings = repo.settings()
        pipe = resolve_pipeline(repo, pipeline, "--pipeline")
        target = resolve_stage(repo, pipe, stage, "--stage") if stage else first_stage(repo, pipe)
        if target["kind"] != "open":
            raise RuleError(f"a new deal starts in an open stage, not {target['name']} ({target['kind']})",
                            hint=f"add it, then: salescli deal {target['kind']} ID")
        if on_date is not None and on_date > today:
            raise RuleError(f"--date {on_date.isoformat()} is in the future (today is {today.isoformat()})")
        owner = fields.get("owner") or repo.user
        text = _validated_text({"title": fields.get("title"), "owner": owner, "source": fields.get("source"),
                                "next_step": fields.get("next_step"), "external_id": fields.get("external_id"),
                                "notes": fields.get("notes")}, names={"title": "TITLE"})
        minor, currency = amount_and_currency(fields.get("amount"), fields.get("currency"),
                                              settings["base_currency"])
        company_id, contact_id = _links(repo, fields, owner, None)
        probability = fields.get("probability")
        category = fields.get("forecast")
        effective = target["probability"] if probability is None else probability
        now = repo.now()
        when = f"{on_date.isoformat()}T00:00:00" if on_date else now
        values: dict[str, Any] = {
            "title": text.title,
            "company_id": company_id,
            "contact_id": contact_id,
            "pipeline_id": pipe["id"],
            "stage_id": target["id"],
            "status": "open",
            "amount_minor": minor,
            "currency": currency,
            "probability": effective,
            "probability_set": int(probability is not None),
            "forecast_category": category or default_forecast_category(effective),
            "forecast_category_set": int(category is not None),
            "expected_close": _iso(fields.get("expected_close")),
            "owner": text.owner,
            "source": text.source,
            "next_step": text.next_step,
            "next_step_date": _iso(fields.get("next_step_date")),
            "recurring": fields.get("recurring") or "none",
            "external_id": text.external_id,
            "tags": json.dumps(fields.get("tags") or [], ensure_ascii=False),
            "notes": text.notes,
            "created_at": f"{on_date.isoformat()}T00:00:00" if on_date else now,
            "updated_at": now,
            "stage_entered_at": when,
        }
        missing = missing_fields(values, required_of(target))
        if missing and not force:
            raise _missing_error("a new deal", target, missing, None)
        _check_external_id(repo, values["external_id"], None)
        repo.ensure_user(values["owner"], announce=True)
        values["owner"] = repo.user_spelling(values["owner"]) if values["owner"] else values["owner"]
        deal_id = repo.create_record("deals", "deal", values)
        if minor is not None:
            _note_unpriced(repo, currency)
        repo.add_stage_history(deal_id, None, target["id"], when, note, bool(missing))
        _note_same_title(repo, deal_id, values["title"], company_id)
        if missing:
            repo.record_change("deal", deal_id, "forced", None,
                               {"stage": target["name"], "forced": "missing " + ", ".join(missing)})
        row = repo.deal(deal_id)
        assert row is not None
        automations.fire(repo, row, "created", on_date or today, not_before=today)
        automations.fire(repo, row, "stage", on_date or today, target["name"], not_before=today)
        _note_stepless_date(repo, {**values, "id": deal_id})  # (after the rules: a task they made is a next step)
    return row


def _note_unpriced(repo: Repository, currency: str | None) -> None:
    """A deal in a currency with no exchange rate: every total in the base currency leaves it out, so say so
    when it is written (a typo such as EUE makes a currency of its own)."""
    base = repo.settings()["base_currency"]
    if currency and currency != base and not repo.has_rate(currency):
        from salescli.services.money import currency_slip

        repo.notices.append(f"note: {currency_slip(repo, currency, unguessed=True)}no exchange rate for {currency}:"
                            f" totals in {base}"
                            f" leave this deal's amount out (salescli fx set {currency} RATE)")


def _note_stepless_date(repo: Repository, deal: Row) -> None:
    """A next-step date without words (and no open task, which would be the step) is no next step: say so."""
    stepless = deal.get("next_step_date") and not (deal.get("next_step") or "").strip()
    if stepless and deal.get("status", "open") == "open" and not repo.open_deal_tasks(int(deal["id"])):
        repo.notices.append(f"note: next-step date {deal['next_step_date']} without a next step: a date alone is no"
                            " next step (--next-step TEXT)")


def _iso(value: date | str | None) -> str | None:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _check_external_id(repo: Repository, external_id: str | None, own_id: int | None) -> None:
    if external_id:
        other = repo.deal_id_by_external_id(external_id)
        if other is not None and other != own_id:
            raise RuleError(f"external id {external_id} is already used by deal {other}")


def edit_deal(
    repo: Repository,
    ref: str,
    fields: dict[str, Any],
    *,
    tags: TagChange | None = None,
    force: bool = False,
    extra: dict[str, str | None] | None = None,
) -> tuple[Row, dict[str, Any]]:
    """Change a deal's fields (not its stage: see move_deal). Keys present in ``fields`` change
    ('' clears a text, a date or the amount). Clearing a field the current stage requires needs force.
    Returns (deal, changed columns)."""
    from salescli.services.crm import apply_tags

    with repo.write():
        deal = resolve_deal(repo, ref)
        owner = fields["owner"] if "owner" in fields else deal["owner"]
        merged = {k: fields.get(k, deal.get(k)) for k in ("title", "source", "next_step", "external_id", "notes")}
        text = _validated_text({**merged, "owner": owner or None})
        values: dict[str, Any] = {k: getattr(text, k) for k in ("title", "owner", "source", "next_step",
                                                                 "external_id", "notes")}
        currency = fields.get("currency") or deal["currency"]
        if "amount" in fields:
            values["amount_minor"], values["currency"] = amount_and_currency(
                fields["amount"], fields.get("currency"), deal["currency"])
        elif currency != deal["currency"]:
            values["amount_minor"] = _rescale(deal["amount_minor"], deal["currency"], currency)
            values["currency"] = currency
        for key in ("expected_close", "next_step_date"):
            if key in fields:
                values[key] = _iso(fields[key])
        if "recurring" in fields:
            values["recurring"] = fields["recurring"]
        closed = deal["status"] != "open"
        if "probability" in fields:
            if closed:
                raise RuleError(f"deal {deal['id']} is {deal['status']}: its probability is its stage's",
                                hint=f"reopen it first: salescli deal reopen {deal['id']}")
            probability = fields["probability"]
            values["probability"] = deal["stage_probability"] if probability is None else probability
            values["probability_set"] = int(probability is not None)
        if "forecast" in fields:
            if closed:
                raise RuleError(f"deal {deal['id']} is {deal['status']}: its forecast category is closed")
            values["forecast_category"] = fields["forecast"]
            values["forecast_category_set"] = int(fields["forecast"] is not None)
        if not closed and not values.get("forecast_category_set", deal["forecast_category_set"]):
            probability = values["probability"] if "probability" in values else deal["probability"]
            values["forecast_category"] = default_forecast_category(probability)
        if tags is not None:
            values["tags"] = json.dumps(apply_tags(json.loads(deal["tags"] or "[]"), tags), ensure_ascii=False)
        values["company_id"], values["contact_id"] = _links(repo, fields, owner, deal)
        if extra:
            from salescli.services.crm import apply_extra

            values["extra"] = apply_extra(deal.get("extra"), extra)
        _check_external_id(repo, values.get("external_id"), deal["id"])
        stage = {"name": deal["stage"], "required_fields": deal["required_fields"]}
        had = set(missing_fields(deal, required_of(stage)))
        now_missing = [m for m in missing_fields({**deal, **values}, required_of(stage)) if m not in had]
        if now_missing and not force:
            raise RuleError(
                f"deal {deal['id']} is in stage {deal['stage']}, which requires {', '.join(now_missing)}",
                hint="keep them, move the deal back first, or pass --force",
            )
        repo.ensure_user(values.get("owner"), announce=True)
        values["owner"] = repo.user_spelling(values["owner"]) if values.get("owner") else values.get("owner")
        changed = repo.change_record("deals", "deal", deal["id"], values)
        if changed:
            repo.update_row("deals", deal["id"], {"updated_at": repo.now()})
        if ("currency" in changed or "amount_minor" in changed) \
                and values.get("amount_minor", deal["amount_minor"]) is not None:
            _note_unpriced(repo, values.get("currency", deal["currency"]))
        if {"next_step", "next_step_date"} & set(changed):
            _note_stepless_date(repo, {**deal, **values, "id": deal["id"]})
        if "contact_id" in changed and deal["status"] == "won":  # the buyer was someone else: so is the customer
            _contact_no_longer_customer(repo, deal)
            _contact_becomes_customer(repo, {**deal, "contact_id": changed["contact_id"]})
    row = repo.deal(deal["id"])
    assert row is not None
    return row, changed


def move_deal(
    repo: Repository,
    ref: str,
    stage: str,
    *,
    today: date,
    pipeline: str | None = None,
    note: str | None = None,
    force: bool = False,
    on_date: date | None = None,
) -> tuple[Row, bool]:
    """Move an open deal to another open stage (or a won stage: that is `deal won`). Returns (deal, moved)."""
    with repo.write():
        deal = resolve_deal(repo, ref)
        pipe = resolve_pipeline(repo, pipeline, "--pipeline") if pipeline else _pipeline_of(repo, deal)
        target = resolve_stage(repo, pipe, stage)
        if target["id"] == deal["stage_id"]:
            return deal, False
        if deal["status"] != "open":
            # reopening into a won or lost stage is refused: reopen it, then win or lose it
            then = {"won": f'then salescli deal won {deal["id"]}',
                    "lost": f'then salescli deal lost {deal["id"]} --reason "…"'}.get(target["kind"])
            raise RuleError(f"deal {deal['id']} is {deal['status']}; reopen it to move it",
                            hint=f'salescli deal reopen {deal["id"]}, {then}' if then
                            else f'salescli deal reopen {deal["id"]} --stage "{target["name"]}"')
        if target["kind"] == "lost":
            raise RuleError(f"{target['name']} is a lost stage: losing a deal needs a reason",
                            hint=f'salescli deal lost {deal["id"]} --reason "…"')
        if target["kind"] == "won":
            extra = {"won_at": (on_date or today).isoformat()}
            row = _enter_stage(repo, deal, target, today=today, action="won", on_date=on_date, note=note,
                               force=force, extra=extra, events=("won",))
        else:
            row = _enter_stage(repo, deal, target, today=today, action="move", on_date=on_date, note=note,
                               force=force)
    return row, True


def _pipeline_of(repo: Repository, deal: Row) -> Row:
    pipe = repo.pipeline(deal["pipeline_id"])
    assert pipe is not None
    return pipe


def _closing_stage(repo: Repository, deal: Row, kind: str, name: str | None) -> Row:
    pipe = _pipeline_of(repo, deal)
    if name:
        stage = resolve_stage(repo, pipe, name, "--stage")
        if stage["kind"] != kind:
            article = "an" if stage["kind"] == "open" else "a"
            raise RuleError(f"--stage {stage['name']} is {article} {stage['kind']} stage, not a {kind} one")
        return stage
    return first_stage(repo, pipe, kind)


def _closed_error(deal: Row, kind: str) -> RuleError:
    if deal["status"] == kind:
        return RuleError(f"deal {deal['id']} is already {kind}")
    return RuleError(f"deal {deal['id']} is {deal['status']}; reopen it first: salescli deal reopen {deal['id']}")


def win_deal(
    repo: Repository,
    ref: str,
    *,
    today: date,
    amount: str | None = None,
    on_date: date | None = None,
    note: str | None = None,
    stage: str | None = None,
    force: bool = False,
) -> Row:
    """Mark an open deal won (won date = --date or today; --amount sets the final amount)."""
    with repo.write():
        deal = resolve_deal(repo, ref)
        if deal["status"] != "open":
            raise _closed_error(deal, "won")
        target = _closing_stage(repo, deal, "won", stage)
        extra: dict[str, Any] = {"won_at": (on_date or today).isoformat()}
        if amount is not None:
            extra["amount_minor"], extra["currency"] = parse_amount(amount, deal["currency"])
            if extra["currency"] != deal["currency"]:  # `--amount €8k` out of habit on a GBP deal: say so
                from salescli.values import format_money

                was = "no amount" if deal["amount_minor"] is None else format_money(deal["amount_minor"],
                                                                                      deal["currency"])
                repo.notices.append(f"currency {deal['currency']} → {extra['currency']}: the deal is now "
                                    f"{format_money(extra['amount_minor'], extra['currency'])} (was {was})")
        row = _enter_stage(repo, deal, target, today=today, action="won", on_date=on_date, note=note,
                           force=force, extra=extra, events=("won",))
    return row


def lose_deal(
    repo: Repository,
    ref: str,
    *,
    today: date,
    reason: str | None,
    category: str | None = None,
    on_date: date | None = None,
    note: str | None = None,
    stage: str | None = None,
    force: bool = False,
) -> Row:
    """Mark an open deal lost; a reason is required (free text), a category optional."""
    if reason is None or not reason.strip():
        raise RuleError("a lost deal needs a reason: --reason TEXT",
                        hint='e.g. --reason "went with a competitor" --category competitor')
    if len(reason) > 1000:
        raise InvalidValue("--reason", reason[:40] + "…", "is too long (at most 1000 characters)")
    with repo.write():
        deal = resolve_deal(repo, ref)
        if deal["status"] != "open":
            raise _closed_error(deal, "lost")
        target = _closing_stage(repo, deal, "lost", stage)
        extra = {"lost_at": (on_date or today).isoformat(), "lost_reason": reason.strip(), "lost_category": category}
        row = _enter_stage(repo, deal, target, today=today, action="lost", on_date=on_date, note=note,
                           force=force, extra=extra, events=("lost",))
    return row


def _contact_becomes_customer(repo: Repository, deal: Row) -> None:
    """The contact of a deal just won is a customer now (a lead or prospect before; a churned one who buys
    again too). Logged as "deal N won" on the contact, which `deal reopen` looks for to take it back."""
    contact = repo.contact_status(deal["contact_id"]) if deal.get("contact_id") else None
    if contact is None or contact["status"] == "customer":
        return
    repo.update_row("contacts", contact["id"], {"status": "customer", "updated_at": repo.now()})
    repo.record_change("contact", contact["id"], f"deal {deal['id']} won", {"status": contact["status"]},
                       {"status": "customer"})
    repo.notices.append(f"contact {contact['name']} (#{contact['id']}) is now a customer (was {contact['status']})")


def _contact_no_longer_customer(repo: Repository, deal: Row) -> None:
    """Reopening a won deal takes back what winning made of its contact — when no other deal of theirs is
    won and no one has set their status since."""
    if not deal.get("contact_id"):
        return
    last = repo.last_status_change(deal["contact_id"])
    if last is None or not (last["action"].startswith("deal ") and last["action"].endswith(" won")) \
            or repo.has_other_won_deal(deal["contact_id"], deal["id"]):
        return
    was = json.loads(last["before"] or "{}").get("status")
    contact = repo.contact_status(deal["contact_id"])
    from salescli.models import CONTACT_STATUSES  # (pydantic: not for `deal list`)

    if contact is None or contact["status"] != "customer" or was not in CONTACT_STATUSES:
        return
    repo.update_row("contacts", contact["id"], {"status": was, "updated_at": repo.now()})
    repo.record_change("contact", contact["id"], f"deal {deal['id']} reopened", {"status": "customer"},
                       {"status": was})
    again = "churned" if was == "churned" else f"a {was}"
    repo.notices.append(f"contact {contact['name']} (#{contact['id']}) is {again} again")


def _note_open_tasks(repo: Repository, deal: Row, tasks: list[Row], status: str) -> None:
    """A deal just closed (status won or lost) with tasks still open (a proposal call an automation made):
    name them, so they do not sit in someone's overdue list; closing them stays the person's call."""
    if not tasks:
        return
    n = len(tasks)
    repo.notices.append(f"note: {status} deal {deal['id']} still has {n} open task{'s' if n != 1 else ''}:"
                        f" {_listed_tasks(tasks)} (salescli task done {tasks[0]['id']}, or task rm)")


def _listed_tasks(tasks: list[Row]) -> str:
    """'#4 "Chase", #5 "Call"' — the first three, then …"""
    return ", ".join(f'#{t["id"]} "{t["subject"]}"' for t in tasks[:3]) + (", …" if len(tasks) > 3 else "")


def reopen_deal(
    repo: Repository,
    ref: str,
    *,
    today: date,
    stage: str | None = None,
    note: str | None = None,
    force: bool = False,
    on_date: date | None = None,
) -> Row:
    """Return a won or lost deal to an open stage (default: the stage it was in before closing), today or on
    on_date (not before its last stage change)."""
    with repo.write():
        deal = resolve_deal(repo, ref)
        if deal["status"] == "open":
            raise RuleError(f"deal {deal['id']} is open (in {deal['stage']}); nothing to reopen")
        pipe = _pipeline_of(repo, deal)
        if stage:
            target = resolve_stage(repo, pipe, stage, "--stage")
        else:
            before = repo.stage_before(deal["id"], deal["stage_id"])
            found = repo.stage(before) if before is not None else None
            if found is None or found["kind"] != "open" or found["pipeline_id"] != pipe["id"]:
                raise RuleError(f"deal {deal['id']} has no open stage before {deal['stage']} in its history",
                                hint=f"name one: salescli deal reopen {deal['id']} --stage STAGE")
            target = found
        if target["kind"] != "open":
            raise RuleError(f"--stage {target['name']} is a {target['kind']} stage; reopen into an open stage")
        extra: dict[str, Any] = {"won_at": None, "lost_at": None, "lost_reason": None, "lost_category": None}
        # a probability or forecast category set by hand before the deal closed comes back with it
        was = repo.values_before_closing(deal["id"])
        if was.get("probability_set"):  # (no probability in `before`: it was the closing stage's, unchanged)
            probability = int(was["probability"] if was.get("probability") is not None else deal["probability"] or 0)
            extra.update(probability=probability, probability_set=1,
                         forecast_category=default_forecast_category(probability), forecast_category_set=0)
        if was.get("forecast_category_set") and was.get("forecast_category"):
            extra.update(forecast_category=was["forecast_category"], forecast_category_set=1)
        row = _enter_stage(repo, deal, target, today=today, action="reopen", on_date=on_date, note=note, force=force,
                           extra=extra)
        if deal["status"] == "won":
            _contact_no_longer_customer(repo, deal)
        for task in repo.open_automation_tasks(deal["id"], events=("won", "lost")):
            repo.notices.append(f'note: task {task["id"]} "{task["subject"]}", made when deal {deal["id"]} was'
                                f' {task["event"]}, is still open (salescli task rm {task["id"]} if it no longer'
                                " applies)")
    return row


def park_deal(
    repo: Repository, ref: str, *, today: date, until: date | None, reason: str | None, clear: bool = False
) -> tuple[Row, bool]:
    """Keep a stalled deal out of stale lists until a date, for a known reason (or clear the parking);
    returns the deal and whether anything changed."""
    with repo.write():
        deal = resolve_deal(repo, ref)
        if clear:
            values: dict[str, Any] = {"parked_until": None, "park_reason": None}
        else:
            if deal["status"] != "open":
                raise RuleError(f"deal {deal['id']} is {deal['status']}; only open deals can be parked")
            if until is None:
                raise RuleError("parking needs --until DATE (or --clear)")
            if until <= today:
                raise RuleError(f"--until {until.isoformat()} is not after today ({today.isoformat()})")
            if reason is None or not reason.strip():
                raise RuleError("parking needs a reason: --reason TEXT")
            values = {"parked_until": until.isoformat(), "park_reason": reason.strip()}
        changed = repo.change_record("deals", "deal", deal["id"], values, action="park")
        if changed:
            repo.update_row("deals", deal["id"], {"updated_at": repo.now()})
    row = repo.deal(deal["id"])
    assert row is not None
    return row, bool(changed)


def remove_deal(repo: Repository, deal_id: int) -> None:
    """Delete a deal and its stage history (activities stay, unlinked); its open tasks are named."""
    with repo.write():
        tasks = repo.open_deal_tasks(deal_id)
        repo.unlink_logged("deal_id", deal_id)
        repo.delete_record("deals", "deal", deal_id)
    if tasks:  # a follow-up for a deal that no longer exists would sit in someone's list unexplained
        n = len(tasks)
        repo.notices.append(f"note: {n} open task{'s' if n != 1 else ''} of deal {deal_id} stay{'s' if n == 1 else ''},"
                            f" no longer linked to it: {_listed_tasks(tasks)} (salescli task rm {tasks[0]['id']} if"
                            " it no longer applies)")


# -- views ---------------------------------------------------------------------------------------
def _days_since(text: str | None, today: date) -> int | None:
    if not text:
        return None
    try:
        return max(0, (today - date.fromisoformat(str(text)[:10])).days)  # entered after an earlier --today: 0
    except ValueError:
        return None


def deal_view(row: Row, today: date) -> dict[str, Any]:
    """A deal as scripts see it: DEAL_KEYS, money as exact Decimals beside the currency."""
    from salescli.services.money import quantize
    from salescli.values import minor_to_decimal

    currency = row["currency"]
    amount = None if row["amount_minor"] is None else minor_to_decimal(row["amount_minor"], currency)
    # weighted is of open deals only (a won deal's 100% is its won amount, a figure of its own)
    weighted = None if amount is None or row["status"] != "open" else \
        quantize(amount * row["probability"] / Decimal(100), currency)
    mrr = arr = None
    if amount is not None and row["recurring"] == "month":
        mrr, arr = amount, amount * 12
    elif amount is not None and row["recurring"] == "year":
        mrr, arr = quantize(amount / 12, currency), amount
    return {
        "id": row["id"],
        "title": row["title"],
        "company_id": row["company_id"],
        "company": row["company"],
        "contact_id": row["contact_id"],
        "contact": row["contact"],
        "pipeline": row["pipeline"],
        "stage": row["stage"],
        "status": row["status"],
        "amount": amount,
        "currency": currency,
        "probability": row["probability"],
        "weighted_amount": weighted,
        "forecast_category": row["forecast_category"],
        "expected_close": row["expected_close"],
        "owner": row["owner"],
        "source": row["source"],
        "next_step": row["next_step"],
        "next_step_date": row["next_step_date"],
        "recurring": row["recurring"],
        "mrr": mrr,
        "arr": arr,
        "won_at": row["won_at"],
        "lost_at": row["lost_at"],
        "lost_reason": row["lost_reason"],
        "lost_category": row["lost_category"],
        "parked_until": row["parked_until"],
        "park_reason": row["park_reason"],
        "external_id": row["external_id"],
        "tags": json.loads(row["tags"]) if row["tags"] else [],
        "notes": row["notes"],
        "stage_age_days": _days_since(row["stage_entered_at"], today),
        "stage_entered_at": row["stage_entered_at"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "last_activity_at": row["last_activity_at"],
        "extra": json.loads(row["extra"]) if row["extra"] else None,
    }


def money_text(value: Decimal | None, currency: str) -> str:
    """An exact Decimal amount as '12,000.00 EUR' ('' when there is none)."""
    from salescli.values import format_money, to_minor

    return "" if value is None else format_money(to_minor(value, currency), currency)


DISPLAY_LABELS = {
    "stage_age_days": "days in stage", "mrr": "MRR", "arr": "ARR", "expected_close": "expected close",
    "weighted_amount": "weighted", "forecast_category": "forecast", "days_idle": "days idle",
}


def deal_display(view: dict[str, Any]) -> dict[str, Any]:
    """The view for people (deal show as a table or Markdown): money with its currency, 60%."""
    out = dict(view)
    for key in ("amount", "weighted_amount", "mrr", "arr"):
        out[key] = money_text(view[key], view["currency"])
    out["probability"] = f"{view['probability']}%"
    if view["company_id"] is not None:
        out["company"] = f"{view['company'] or ''} (#{view['company_id']})"
    if view["contact_id"] is not None:
        out["contact"] = f"{view['contact'] or ''} (#{view['contact_id']})"
    if view["recurring"] == "none":
        out["recurring"] = None
    for key in ("company_id", "contact_id", "currency"):
        out.pop(key)
    return out


def deal_attention(repo: Repository, row: Row, today: date) -> dict[str, Any]:
    """For `deal show` of an open deal: the days it has been idle and what `today` and `report stale` would say
    of it (stale reasons, no next step; nothing while parked)."""
    from salescli.services.agenda import last_touch, stale_reasons

    if row["status"] != "open":
        return {}
    stage = repo.stage(int(row["stage_id"])) or {}
    from salescli.services.config import stale_days

    default = stale_days(repo.settings())
    idle = _days_since(last_touch(row), today)
    parked = bool(row["parked_until"]) and str(row["parked_until"])[:10] > today.isoformat()
    reasons = [] if parked else stale_reasons({**row, "rot_days": stage.get("rot_days")}, today, default)
    if not parked and not (row["next_step"] or "").strip() and not repo.open_deal_tasks(int(row["id"])):
        reasons.append("no next step")
    return {"days_idle": idle, "attention": reasons}


def deal_story(repo: Repository, ref: str) -> tuple[Row, Sections]:
    """A deal with its stage history and timeline, for `deal show`."""
    from salescli.render import Column
    from salescli.services.crm import timeline_section

    row = resolve_deal(repo, ref)
    history = [dict(h, forced=bool(h["forced"])) for h in repo.stage_history(row["id"])]
    sections: Sections = {
        "stage_history": (
            [Column("changed_at", "when"), Column("from_stage", "from"), Column("to_stage", "to"),
             Column("changed_by", "by"), Column("note"),
             Column("forced", show=lambda v, r: "forced" if v else "")],
            history,
        )
    }
    sections.update(timeline_section(repo, "deal", row["id"]))
    return row, sections


# -- lists ---------------------------------------------------------------------------------------
@dataclass
class DealFilter:
    """What `deal list` (and others) filter on, as typed but already parsed where it has a form."""

    stage: str | None = None
    owner: str | None = None
    pipeline: str | None = None
    status: str | None = None
    close_from: date | None = None
    close_before: date | None = None
    tag: str | None = None
    company: str | None = None
    contact: str | None = None
    stale: bool = False
    parked: bool = False
    min_amount: tuple[int, str | None] | None = None


def deal_list_query(repo: Repository, flt: DealFilter, *, today: date, sort: str = "id",
                    descending: bool = False) -> DealQuery:
    """Resolve the filter's references (unknown stage, pipeline, company, owner: exit 3) into a deal query;
    descending: the sort turned around (`--sort -amount`)."""
    from salescli.services.refs import known_user, resolve_company, resolve_contact
    from salescli.values import CURRENCY_DECIMALS

    pipeline_id = None
    stage_ids = None
    if flt.pipeline is not None:
        pipe = resolve_pipeline(repo, flt.pipeline, "--pipeline")
        pipeline_id = pipe["id"]
        if flt.stage is not None:
            stage_ids = [resolve_stage(repo, pipe, flt.stage, "--stage")["id"]]
    elif flt.stage is not None:
        stage_ids = repo.stage_ids_named(flt.stage.strip())
        if not stage_ids:
            from salescli.services.pipeline import loosely_named
            from salescli.values import closest

            every = list(dict.fromkeys(repo.stage_names()))
            spelled = loosely_named(flt.stage, every)
            if spelled is not None:  # needs-analysis: Needs Analysis, as deal move reads it
                stage_ids = repo.stage_ids_named(spelled)
            else:
                near = closest(flt.stage, every, 0.75)
                raise NotFound(f'--stage "{flt.stage}" not found (stages: {", ".join(every)})',
                               hint=f'did you mean "{near}"?' if near else None)
    company_id = resolve_company(repo, flt.company, "--company")["id"] if flt.company else None
    contact_id = resolve_contact(repo, flt.contact, "--contact")["id"] if flt.contact else None
    if flt.owner:
        flt.owner = known_user(repo, flt.owner)  # (the query matches the recorded spelling)
    stale = None
    if flt.stale:
        stale = (today.isoformat(), int(repo.settings().get("default_stale_days") or 30))
    scale = {code: 10.0 ** (dec - 2) for code, dec in CURRENCY_DECIMALS.items() if dec != 2}
    worth, rated = None, None
    if sort == "amount":  # largest first in the base currency, at today's rates (10,000 BHD before 90,000 USD)
        from salescli.services.money import minor_unit_factors, rates_on
        from salescli.values import currency_decimals

        base = repo.settings()["base_currency"]
        # a deal in a currency without a rate comes after the others (as in the reports), ranked among them
        # by its nominal amount (3,000,000 JPY as 3,000,000); "*": any other code (two decimals)
        rates = rates_on(repo, today)
        nominal = {code: Decimal(1) for code, dec in CURRENCY_DECIMALS.items() if dec != 2}
        worth = minor_unit_factors(base, {**nominal, **rates})
        worth["*"] = 10.0 ** (currency_decimals(base) - 2)
        rated = sorted({*rates, base})
    return repo.deal_query(
        stage_ids=stage_ids, owner=flt.owner, pipeline_id=pipeline_id, status=flt.status,
        close_from=flt.close_from.isoformat() if flt.close_from else None,
        close_before=flt.close_before.isoformat() if flt.close_before else None,
        tag=flt.tag, company_id=company_id, contact_id=contact_id, stale=stale,
        parked_after=today.isoformat() if flt.parked else None, min_amount=flt.min_amount, scale=scale, sort=sort,
        worth=worth, rated=rated, descending=descending,
    )


def deal_totals(repo: Repository, query: DealQuery, today: date) -> Totals:
    """Count and total (in the base currency, at the rates in force today) of a deal query; with deals of
    more than one status, the same per status (open, won, lost), so a total of open and closed deals is
    never read as the pipeline."""
    from salescli.services.money import rates_on, summarize

    rows = repo.deal_totals(query)
    base, rates = repo.settings()["base_currency"], rates_on(repo, today)
    totals = summarize(rows, base, rates)
    statuses = [st for st in ("open", "won", "lost") if any(r["status"] == st for r in rows)]
    if len(statuses) > 1:
        totals.by_status = [(st, summarize([r for r in rows if r["status"] == st], base, rates)) for st in statuses]
    totals.day = today.isoformat()
    for m in totals.missing:
        first = repo.first_rate_day(m.currency)
        if first is not None and first > totals.day:
            totals.later_rates[m.currency] = first
    return totals
