"""Companies and contacts: add, edit, remove, forget — validated, unique, logged."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any

from salescli.errors import NotFound, RuleError
from salescli.services.refs import (
    find_company,
    merged_not_found,
    parse_id,
    resolve_company,
    resolve_contact,
    similar_names,
)

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

COMPANY_FIELDS = ("name", "domain", "industry", "segment", "territory", "owner", "tags", "notes")
CONTACT_FIELDS = ("name", "email", "phone", "title", "company_id", "owner", "status", "source", "tags", "notes")


def _storage(model: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    data = model.model_dump()
    out = {k: data[k] for k in fields}
    out["tags"] = json.dumps(out["tags"], ensure_ascii=False)
    return out


def _as_input(row: Row, fields: tuple[str, ...]) -> dict[str, Any]:
    data = {k: row.get(k) for k in fields}
    data["tags"] = json.loads(row.get("tags") or "[]")
    return data


def _check_domain_free(repo: Repository, domain: str | None, own_id: int | None = None) -> None:
    if domain:
        other = repo.company_by_domain(domain)
        if other is not None and other["id"] != own_id:
            raise RuleError(f"domain {domain} is already used by company {other['id']} {other['name']}")


def _check_email_free(repo: Repository, email: str | None, own_id: int | None = None) -> None:
    if email:
        other = repo.contact_by_email(email)
        if other is not None and other["id"] != own_id:
            raise RuleError(f"e-mail {email} is already used by contact {other['id']} {other['name']}")


def add_company(repo: Repository, data: dict[str, Any]) -> Row:
    """Validate and insert a company; the domain must be unique."""
    from salescli.models import CompanyData, validate  # pydantic: only commands that write pay for it

    model = validate(CompanyData, data, names={"name": "NAME"})
    values = _storage(model, COMPANY_FIELDS)
    with repo.write():
        _check_domain_free(repo, values["domain"])
        repo.ensure_user(values["owner"], announce=True)
        now = repo.now()
        new_id = repo.create_record("companies", "company", {**values, "created_at": now, "updated_at": now})
        _note_namesakes(repo, values["name"], new_id)
        kept = repo.merged_by_key("company", "name", values["name"])
        if kept is not None and kept != new_id:  # added on purpose (a reference would have found the kept one)
            repo.notices.append(f"note: a company named {values['name']} was merged into company {kept} before:"
                                f" if this is that company, salescli company merge {kept} {new_id}")
    row = repo.company(new_id)
    assert row is not None
    return row


def _note_namesakes(repo: Repository, name: str, own_id: int) -> None:
    """Two companies of one name are allowed (two shops of one chain), but the name then needs an id or domain
    to refer to either: say so (names match in any case and spacing, as references do)."""
    ids = {r["id"] for r in repo.companies_named(name)} | set(repo.named_loosely("companies", name))
    twins = [r for r in (repo.company(i) for i in sorted(ids - {own_id})) if r is not None]
    if twins:
        listed = ", ".join(f"{r['id']}" + (f" ({r['domain']})" if r["domain"] else "") for r in twins[:5])
        many = len(twins) > 1
        repo.notices.append(f"note: compan{'ies' if many else 'y'} {listed} {'are' if many else 'is'} also named"
                            f" {name}: refer to each by id or domain from now on")


def company_by_name_or_create(repo: Repository, ref: str, owner: str | None) -> Row:
    """The company a reference names, created (and announced) when it does not exist yet."""
    row = find_company(repo, ref)
    if row is not None:
        return row
    if parse_id(ref) is not None:  # a mistyped id, not the name of a new company called "99"
        merged = merged_not_found(repo, "companies", "company", ref)
        if merged is not None:
            raise merged
        raise NotFound(f'company "{ref.strip()}" not found', hint="list companies with `salescli company list`")
    # a typo or a short form of a company that exists would make a second record of that company:
    # refused, with the way to create it on purpose
    meant = similar_names(repo, "companies", ref)
    if meant:
        raise NotFound(f'company "{ref.strip()}" not found; did you mean {meant}?',
                       hint=f"to create a company named {ref.strip()}, add it first:"
                            f" salescli company add {shlex.quote(ref.strip())}")
    from salescli.models import as_domain, normalize_domain

    try:  # a domain or web address names a new company by its domain, and is its domain
        domain: str | None = normalize_domain(ref)
    except ValueError:
        domain = None
    if domain is not None and as_domain(ref) is None and "://" not in ref and "www." not in ref:
        domain = None
    web_address = "://" in ref or ref.strip().lower().startswith("www.")  # (named by its domain, not its URL)
    if domain is not None:  # Globex has no domain yet, but its people write from globex.com: that is Globex
        writers = repo.companies_writing_from(domain)
        if writers:
            names = " or ".join(f"{r['name']} (company {r['id']})" for r in writers)
            first = writers[0]
            raise NotFound(f'no company has domain {domain}; did you mean {names}, whose contacts write from it?',
                           hint=f"give it the domain: salescli company edit {first['id']} --domain {domain}; or create"
                                f" a new company: salescli company add NAME --domain {domain}")
    row = add_company(repo, {"name": domain if domain and web_address else ref, "domain": domain, "owner": owner})
    repo.notices.append(f"created company {row['id']} {row['name']}")
    return row


TagChange = tuple[list[str] | None, list[str], list[str]]


def tag_changes(replace: list[str] | None, add: list[str], remove: list[str]) -> TagChange | None:
    """What --tag (replace), --add-tag and --remove-tag ask for; None when nothing."""
    if replace is None and not add and not remove:
        return None
    return (replace, add, remove)


def apply_tags(current: list[str], change: TagChange | None) -> list[str]:
    if change is None:
        return current
    replace, add, remove = change
    tags = list(replace) if replace is not None else list(current)
    tags += [t for t in add if t not in tags]
    return [t for t in tags if t not in remove]


ExtraChange = dict[str, "str | None"]


def apply_extra(current: str | None, change: ExtraChange | None) -> str | None:
    """A record's extra (JSON) after --extra KEY=VALUE changes (None removes KEY; a key it has in another case or
    spacing keeps its spelling, as an import does); the stored text itself when nothing changes."""
    from salescli.values import fold

    if not change:
        return current
    try:
        old = json.loads(current) if current else {}
    except ValueError:  # (written around salescli: `db check` lists it)
        old = {}
    old = old if isinstance(old, dict) else {}
    new = dict(old)
    spelled = {fold(k): k for k in old}
    for key, value in change.items():
        key = spelled.get(fold(key), key)
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    if new == old:
        return current
    return json.dumps(new, ensure_ascii=False) if new else None


def edit_company(
    repo: Repository, ref: str, changes: dict[str, Any], tags: TagChange | None = None,
    extra: ExtraChange | None = None,
) -> tuple[Row, dict[str, Any]]:
    with repo.write():
        current = resolve_company(repo, ref)
        merged = {**_as_input(current, COMPANY_FIELDS), **changes}
        merged["tags"] = apply_tags(merged["tags"], tags)
        from salescli.models import CompanyData, validate

        values = _storage(validate(CompanyData, merged), COMPANY_FIELDS)
        if extra:
            values["extra"] = apply_extra(current.get("extra"), extra)
        _check_domain_free(repo, values["domain"], current["id"])
        repo.ensure_user(values["owner"], announce=True)
        changed = repo.change_record("companies", "company", current["id"], values)
        if changed:
            repo.update_row("companies", current["id"], {"updated_at": repo.now()})
        if "name" in changed:
            _note_namesakes(repo, values["name"], current["id"])
    row = repo.company(current["id"])
    assert row is not None
    return row, changed


def remove_company(repo: Repository, company_id: int) -> None:
    """Delete a company; its contacts, deals and activities stay, unlinked (each unlink logged)."""
    with repo.write():
        repo.unlink_logged("company_id", company_id)
        repo.delete_record("companies", "company", company_id)


def add_contact(repo: Repository, data: dict[str, Any], company_ref: str | None = None) -> Row:
    """Validate and insert a contact; links (or creates) the company named by company_ref."""
    with repo.write():
        if company_ref:
            company = company_by_name_or_create(repo, company_ref, data.get("owner"))
            data = {**data, "company_id": company["id"]}
        from salescli.models import ContactData, validate

        values = _storage(validate(ContactData, data, names={"name": "NAME"}), CONTACT_FIELDS)
        _check_email_free(repo, values["email"])
        repo.ensure_user(values["owner"], announce=True)
        now = repo.now()
        new_id = repo.create_record("contacts", "contact", {**values, "created_at": now, "updated_at": now})
        _note_same_contact(repo, new_id, values["name"], values.get("company_id"))
    row = repo.contact(new_id)
    assert row is not None
    return row


def _note_same_contact(repo: Repository, own_id: int, name: str, company_id: int | None) -> None:
    """Another contact of this name at the same company (or both without one) may be the same person added
    twice: said, with the e-mails that tell them apart (the name alone is ambiguous now)."""
    twins = [r for r in repo.contacts_named(name) if r["id"] != own_id]
    twins = [r for r in twins if (repo.contact(r["id"]) or {}).get("company_id") == company_id]
    if twins:
        listed = ", ".join(f"{r['id']}" + (f" <{r['email']}>" if r.get("email") else "") for r in twins[:5])
        at = f" at {twins[0]['company']}" if twins[0].get("company") else ""
        many = len(twins) > 1
        repo.notices.append(f"note: contact{'s' if many else ''} {listed}{at} {'are' if many else 'is'}"
                            f" also named {name}: if the same person, salescli contact merge"
                            f" {twins[0]['id']} {own_id}; else refer to each by id or e-mail")


def edit_contact(
    repo: Repository,
    ref: str,
    changes: dict[str, Any],
    company_ref: str | None = None,
    tags: TagChange | None = None,
    extra: ExtraChange | None = None,
) -> tuple[Row, dict[str, Any]]:
    with repo.write():
        current = resolve_contact(repo, ref)
        if company_ref is not None:
            if company_ref.strip() == "":
                changes = {**changes, "company_id": None}
            else:
                company = company_by_name_or_create(repo, company_ref, current.get("owner"))
                changes = {**changes, "company_id": company["id"]}
        merged = {**_as_input(current, CONTACT_FIELDS), **changes}
        merged["tags"] = apply_tags(merged["tags"], tags)
        from salescli.models import ContactData, validate

        values = _storage(validate(ContactData, merged), CONTACT_FIELDS)
        if extra:
            values["extra"] = apply_extra(current.get("extra"), extra)
        _check_email_free(repo, values["email"], current["id"])
        repo.ensure_user(values["owner"], announce=True)
        changed = repo.change_record("contacts", "contact", current["id"], values)
        if changed:
            repo.update_row("contacts", current["id"], {"updated_at": repo.now()})
    row = repo.contact(current["id"])
    assert row is not None
    return row, changed


def remove_contact(repo: Repository, contact_id: int) -> None:
    """Delete a contact; their deals and activities stay, unlinked (each unlink logged)."""
    with repo.write():
        repo.unlink_logged("contact_id", contact_id)
        repo.delete_record("contacts", "contact", contact_id)


# A merged contact keeps the furthest status either had: one who bought is a customer.
_STATUS_RANK = {"lead": 0, "prospect": 1, "churned": 2, "customer": 3}


def merge_records(repo: Repository, entity: str, keep_ref: str, other_ref: str) -> dict[str, Any]:
    """Merge a duplicate company or contact (other) into the one kept: other's contacts, deals and activities
    move to it; its empty fields take other's values, tags join, and what both have and differ on (a second
    e-mail, another name) is written into its notes — nothing is lost. Other is deleted. One transaction,
    every step in the history."""
    from salescli.models import MAX_TEXT, CompanyData, ContactData, validate

    table, link, fields, model = (("companies", "company_id", COMPANY_FIELDS, CompanyData) if entity == "company"
                                  else ("contacts", "contact_id", CONTACT_FIELDS, ContactData))
    resolve = resolve_company if entity == "company" else resolve_contact
    with repo.write():
        keep, other = resolve(repo, keep_ref), resolve(repo, other_ref)
        if keep["id"] == other["id"]:
            raise RuleError(f"{keep_ref} and {other_ref} are the same {entity} ({keep['id']} {keep['name']})")
        moved = {"contacts": 0, "deals": 0, "activities": 0}
        for linked_table, linked_entity, row_id in repo.linked_records(link, other["id"]):
            repo.change_record(linked_table, linked_entity, row_id, {link: keep["id"]})
            moved[linked_table] += 1
        values, theirs = _as_input(keep, fields), _as_input(other, fields)
        filled: list[str] = []
        aside: list[str] = []  # what other has that differs and has no place in the kept record
        for field in fields:
            mine, their = values[field], theirs[field]
            if field == "tags":
                values["tags"] = mine + [t for t in their if t.casefold() not in {m.casefold() for m in mine}]
            elif field == "status":
                values["status"] = max(mine, their, key=lambda s: _STATUS_RANK.get(s, 0))
            elif their in (None, "") or field == "notes":
                continue
            elif mine in (None, ""):
                values[field] = their
                filled.append(field)
            elif str(mine).casefold() != str(their).casefold():
                shown = other["company"] if field == "company_id" else their
                aside.append(f"{field.removesuffix('_id')} {shown}")
        mine_extra, their_extra = json.loads(keep.get("extra") or "{}"), json.loads(other.get("extra") or "{}")
        if keep.get("external_id") and other.get("external_id") and keep["external_id"] != other["external_id"]:
            aside.append(f"external id {other['external_id']}")
        aside += [f"{k} {v}" for k, v in their_extra.items() if k in mine_extra and mine_extra[k] != v]
        notes = [values["notes"]] if values["notes"] else []
        if theirs["notes"] and theirs["notes"] != values["notes"]:
            notes.append(theirs["notes"])
        if aside:
            notes.append(f"Merged from {entity} {other['id']}: " + "; ".join(aside))
        values["notes"] = "\n\n".join(notes) or None
        if values["notes"] and len(values["notes"]) > MAX_TEXT:
            raise RuleError(f"the merged notes would be {len(values['notes']):,} characters (at most {MAX_TEXT:,})",
                            hint=f"shorten the notes of {entity} {keep['id']} or {other['id']} first"
                                 f" (salescli {entity} edit ID --notes …)")
        stored = _storage(validate(model, values), fields)
        extra = {**their_extra, **mine_extra}
        stored.update(
            extra=json.dumps(extra, ensure_ascii=False) if extra else None,
            external_id=keep.get("external_id") or other.get("external_id"),
            last_activity_at=max((d for d in (keep["last_activity_at"], other["last_activity_at"]) if d),
                                 default=None),
        )
        repo.merged_away(table, entity, other["id"], {k: other.get(k) for k in (*fields, "external_id")}, keep["id"])
        changed = {k: v for k, v in stored.items() if keep.get(k) != v}
        repo.update_row(table, keep["id"], {**changed, "updated_at": repo.now()})
        repo.record_change(entity, keep["id"], "merge", {"merged": None, **{k: keep.get(k) for k in changed}},
                           {"merged": f"{other['name']} (#{other['id']})", **changed})
    return {"kept": keep["id"], "kept_name": keep["name"], "merged": other["id"], "merged_name": other["name"],
            "moved": moved, "filled": filled, "in_notes": aside}


def forget_contact(repo: Repository, contact_id: int) -> dict[str, int]:
    """Erase a person everywhere, with secure_delete, and truncate the WAL so no copy remains."""
    with repo.write():
        counts = repo.forget_contact(contact_id)
    if not repo.checkpoint():
        repo.notices.append(
            f"another process has {repo.path} open: the erased text leaves its -wal file only when that"
            " process closes it (then run any salescli command)"
        )
    return counts


def _decoded(row: Row) -> dict[str, Any]:
    out = dict(row)
    out["tags"] = json.loads(row.get("tags") or "[]")
    if "extra" in out:
        out["extra"] = json.loads(row["extra"]) if row.get("extra") else None
    return out


COMPANY_VIEW = ("id", "name", "domain", "industry", "segment", "territory", "owner", "tags", "notes",
                "contact_count", "open_deals", "external_id", "extra", "created_at", "updated_at",
                "last_activity_at")
CONTACT_VIEW = ("id", "name", "email", "phone", "title", "company_id", "company", "owner", "status",
                "source", "tags", "notes", "external_id", "extra", "created_at", "updated_at",
                "last_activity_at")


def company_view(row: Row) -> dict[str, Any]:
    """A company as scripts see it: stable keys, tags as a list, extra as an object."""
    data = _decoded(row)
    return {k: data.get(k) for k in COMPANY_VIEW if k in data}


def contact_view(row: Row) -> dict[str, Any]:
    data = _decoded(row)
    return {k: data.get(k) for k in CONTACT_VIEW if k in data}


Sections = dict[str, tuple[list[Any], list[dict[str, Any]]]]


def company_story(repo: Repository, ref: str) -> tuple[Row, Sections]:
    """A company with its contacts, deals and timeline, for `company show`."""
    from salescli.render import Column

    row = resolve_company(repo, ref)
    listed = repo.company_query().add("c.id = ?", row["id"])
    full = next(repo.fetch(listed))
    sections: Sections = {
        "contacts": (
            [Column("id", justify="right"), Column("name"), Column("email"), Column("title"), Column("status")],
            repo.all("SELECT id, name, email, title, status FROM contacts WHERE company_id = ? ORDER BY id",
                     (row["id"],)),
        ),
        "deals": _deals_section(repo.company_deals(row["id"])),
    }
    sections.update(timeline_section(repo, "company", row["id"]))
    return full, sections


def contact_story(repo: Repository, ref: str) -> tuple[Row, Sections]:
    row = resolve_contact(repo, ref)
    sections: Sections = {
        "deals": _deals_section(repo.contact_deals(row["id"])),
    }
    sections.update(timeline_section(repo, "contact", row["id"]))
    return row, sections


def _deals_section(deals: list[Row]) -> tuple[list[Any], list[Row]]:
    """A record's deals: the amount a decimal number beside its currency (DESIGN), shown as money in a table."""
    from salescli.render import Column
    from salescli.services.deals import money_text
    from salescli.values import minor_to_decimal

    columns = [Column("id", justify="right"), Column("title"), Column("stage"), Column("status"),
               Column("amount", justify="right", show=lambda v, r: money_text(v, r["currency"])),
               Column("currency", in_table=False)]
    rows = [{k: v for k, v in d.items() if k != "amount_minor"}
            | {"amount": None if d.get("amount_minor") is None else minor_to_decimal(d["amount_minor"], d["currency"])}
            for d in deals]
    return columns, rows


def timeline_section(repo: Repository, entity: str, entity_id: int) -> Sections:
    """Newest-first activities, tasks and stage changes of a record (empty until there are any)."""
    from salescli.render import Column

    events = repo.timeline(entity, entity_id)
    return {
        "timeline": (
            [Column("date"), Column("kind"), Column("summary", wrap=True), Column("who")],
            events,
        )
    }
