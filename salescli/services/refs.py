"""Resolving what people type to name a record: an id, a unique name, an e-mail or a domain."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from salescli.errors import AmbiguousReference, NotFound
from salescli.values import composed

if TYPE_CHECKING:
    from collections.abc import Callable

    from salescli.repository import Repository
    from salescli.repository.base import Row


def parse_id(ref: str) -> int | None:
    text = ref.strip().lstrip("#")
    if text.isascii() and text.isdigit() and len(text) < 19:
        return int(text)
    return None


def known_user(repo: Repository, name: str) -> str:
    """A user's name as recorded (' Dana' pasted -> 'dana'); an unknown one is exit 3, as in every filter,
    with the user it may have meant."""
    from salescli.values import typo_of

    spelled = repo.user_spelling(name.strip())
    if repo.user_row(spelled) is None:
        meant = typo_of(name.strip(), [str(r["name"]) for r in repo.users()])
        raise NotFound(f'no user named "{name}"' + (f"; did you mean {meant}?" if meant else ""),
                       hint="see `salescli user list`")
    return spelled


def known_team(repo: Repository, team: str) -> str:
    """A team as spelt where users or targets name it; an unknown one is exit 3, with the team it may have meant."""
    from salescli.values import typo_of

    found = repo.team_spelling(team.strip())
    if found is None:
        meant = typo_of(team.strip(), repo.team_names())
        raise NotFound(f'no team named "{team}"' + (f"; did you mean {meant}?" if meant else ""),
                       hint="set one with `salescli user edit NAME --team TEAM`")
    return found


#: The references a lookup by name reads (one more than it counts: "more than 20 match").
MATCHES_COUNTED = 20
#: The matches an ambiguity error lists.
MATCHES_LISTED = 10


def matches(rows: list[Row], describe: Callable[[Row], str]) -> str:
    """'2 match (1 Acme; 4 acme)', or 'more than 20 match (1 …; …; the first 10)' for a name the lookup
    found more often than it counts."""
    count = f"more than {MATCHES_COUNTED}" if len(rows) > MATCHES_COUNTED else str(len(rows))
    listed = "; ".join(describe(r) for r in rows[:MATCHES_LISTED])
    return f"{count} match ({listed}{'; …' if len(rows) > MATCHES_LISTED else ''})"


def _ambiguous(kind: str, ref: str, rows: list[Row], label: str) -> AmbiguousReference:
    return AmbiguousReference(
        f'{kind} "{ref}" is ambiguous: ' + matches(rows, lambda r: f"{r['id']} {r['name']}" + (
            f" <{r[label]}>" if r.get(label) else "") + (f" at {r['company']}" if r.get("company") else "")),
        hint=f"use the {kind} id",
    )


def find_company(repo: Repository, ref: str) -> Row | None:
    """The company named by id, domain or unique name (case-insensitive); None when unknown. A name typed with
    decomposed accents (a Mac's u + U+0308) is looked for as typed, then composed."""
    return _as_typed_then_composed(_find_company, repo, ref.strip())


def _as_typed_then_composed(find: Callable[[Repository, str], Row | None], repo: Repository, ref: str) -> Row | None:
    found = find(repo, ref)
    return found if found is not None or composed(ref) == ref else find(repo, composed(ref))


def _find_company(repo: Repository, ref: str) -> Row | None:
    if not ref:
        return None
    rid = parse_id(ref)
    if rid is not None:
        row = repo.company(rid)
        if row is not None:
            return row
    from salescli.models import as_domain, normalize_domain  # lazily: listing without a reference needs no pydantic

    lowered = ref.lower()
    if "://" in lowered or lowered.startswith("www.") or lowered.endswith("/"):  # as a domain is stored
        try:
            lowered = normalize_domain(lowered)
        except ValueError:
            pass
    domain = as_domain(lowered)
    if domain is not None:
        lowered = domain
        row = repo.company_by_domain(lowered)
        if row is not None:
            return row
        kept = repo.merged_by_key("company", "domain", lowered)  # (the domain of a company merged into another)
        if kept is not None:
            return repo.company(kept)
    rows = _with_loose(repo, "companies", repo.companies_named(ref), ref)
    if len(rows) > 1:
        raise _ambiguous("company", ref, rows, "domain")
    if rows:
        return repo.company(rows[0]["id"])
    kept = repo.merged_by_key("company", "name", ref)  # the name of a company merged into another: that one
    row = repo.company(kept) if kept is not None else None
    if row is not None:
        repo.notices.append(f"note: company {ref} was merged into company {row['id']} {row['name']}: using it")
    return row


def _with_loose(repo: Repository, table: str, rows: list[Row], ref: str) -> list[Row]:
    """The records named ref exactly (any case), with those named so in other spacing ("Acme  Robotics"): one
    of each is no choice to make silently."""
    seen = {r["id"] for r in rows}
    get = repo.company if table == "companies" else repo.contact
    extra = [r for r in (get(i) for i in repo.named_loosely(table, ref) if i not in seen) if r is not None]
    return sorted(rows + extra, key=lambda r: r["id"]) if extra else rows


def similar_names(repo: Repository, table: str, ref: str) -> str | None:
    """The names (of companies or contacts; titles of deals) like a reference that matched none ("Acme" or
    "Acme Robotic" for Acme Robotics): "A or B", for a "did you mean"; None when nothing is close."""
    from salescli.values import SUGGEST_AMONG, closest

    if not ref.strip() or parse_id(ref) is not None:
        return None
    matches = repo.names_sharing_words(table, ref) or [
        m for m in [closest(ref, repo.names(table, SUGGEST_AMONG + 1), 0.8)] if m and not _distinct(ref, m)]
    return " or ".join(dict.fromkeys(matches)) or None  # (deal titles repeat: one "Renewal" is enough)


def _distinct(a: str, b: str) -> bool:
    """Names a letter apart that still name two things: other numbers (Store 12, Store 13) or another
    legal form (Zeta AB, Zeta AG)."""
    if re.findall(r"[0-9]+", a) != re.findall(r"[0-9]+", b):
        return True
    from salescli.values import LEGAL_FORMS

    last_a, last_b = (re.sub(r"[^a-z]", "", n.split()[-1].lower()) if n.split() else "" for n in (a, b))
    return last_a != last_b and last_a in LEGAL_FORMS and last_b in LEGAL_FORMS


def merged_not_found(repo: Repository, table: str, field: str, ref: str) -> NotFound | None:
    """For the id of a company or contact merged into another since (`company merge`; a script holding it),
    the error that says which record it went into, along a chain of merges; None when it was not merged, or
    the record it went into is gone too."""
    number = parse_id(ref)
    entity = "company" if table == "companies" else "contact"
    kept = None if number is None else repo.merged_end(entity, number)
    if kept is None:
        return None
    return NotFound(f'{field} "{ref.strip()}" not found: it was merged into {entity} {kept}',
                    hint=f"use {kept}: salescli {entity} show {kept}")


def _not_found(repo: Repository, table: str, field: str, ref: str) -> NotFound:
    merged = merged_not_found(repo, table, field, ref)
    if merged is not None:
        return merged
    meant = similar_names(repo, table, ref)
    if meant and table in ("companies", "contacts"):
        meant = " or ".join(_told_apart(repo, table, name) for name in meant.split(" or "))
    return NotFound(f'{field} "{ref}" not found' + (f"; did you mean {meant}?" if meant else ""),
                    hint=f"list {table} with `salescli {table[:-1] if table != 'companies' else 'company'} list`")


def _told_apart(repo: Repository, table: str, name: str) -> str:
    """A name suggested for a typo, with what tells its records apart when several bear it (typing it as
    suggested would only be ambiguous): "Hans Gruber (2: h1@x.io, h2@y.io)"."""
    rows = repo.companies_named(name) if table == "companies" else repo.contacts_named(name)
    if len(rows) < 2:
        return name
    key = "domain" if table == "companies" else "email"
    told = [str(r[key]) if r.get(key) else f"id {r['id']}" for r in rows[:MATCHES_LISTED]]
    return f"{name} ({len(rows)}: {', '.join(told)}{', …' if len(rows) > MATCHES_LISTED else ''})"


def resolve_company(repo: Repository, ref: str, field: str = "company") -> Row:
    row = find_company(repo, ref)
    if row is None:
        raise _not_found(repo, "companies", field, ref)
    return row


def find_contact(repo: Repository, ref: str) -> Row | None:
    """The contact named by id, e-mail or unique name (any case); None when unknown. A name typed with decomposed
    accents is looked for as typed, then composed (see find_company)."""
    return _as_typed_then_composed(_find_contact, repo, ref.strip())


def _find_contact(repo: Repository, ref: str) -> Row | None:
    if not ref:
        return None
    rid = parse_id(ref)
    if rid is not None:
        row = repo.contact(rid)
        if row is not None:
            return row
    if "@" in ref:
        row = repo.contact_by_email(ref.lower())
        if row is not None:
            return repo.contact(row["id"])
        kept = repo.merged_by_key("contact", "email", ref.lower())  # (the e-mail of a contact merged into another)
        if kept is not None:
            return repo.contact(kept)
    rows = _with_loose(repo, "contacts", repo.contacts_named(ref), ref)
    if len(rows) > 1:
        raise _ambiguous("contact", ref, rows, "email")
    if rows:
        return repo.contact(rows[0]["id"])
    return None


def resolve_contact(repo: Repository, ref: str, field: str = "contact") -> Row:
    row = find_contact(repo, ref)
    if row is None:
        raise _not_found(repo, "contacts", field, ref)
    return row
