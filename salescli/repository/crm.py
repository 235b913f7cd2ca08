"""Companies and contacts: lookups, lists with allow-listed filters and sorts, forget."""

from __future__ import annotations

import json
import re
from typing import Any

from salescli.repository.base import Query, RepositoryBase, Row

COMPANY_SORTS = {
    "id": "c.id",
    "name": "c.name COLLATE NOCASE, c.id",
    "created": "c.created_at, c.id",
    "updated": "c.updated_at DESC, c.id",
    "owner": "c.owner COLLATE NOCASE, c.id",
    "segment": "c.segment COLLATE NOCASE, c.id",
    "activity": "c.last_activity_at DESC, c.id",
}
CONTACT_SORTS = {
    "id": "p.id",
    "name": "p.name COLLATE NOCASE, p.id",
    "email": "p.email, p.id",
    "company": "company COLLATE NOCASE, p.id",
    "created": "p.created_at, p.id",
    "updated": "p.updated_at DESC, p.id",
    "status": "p.status, p.id",
    "owner": "p.owner COLLATE NOCASE, p.id",
    "activity": "p.last_activity_at DESC, p.id",
}

TAG_MATCH = "EXISTS (SELECT 1 FROM json_each({col}) WHERE json_each.value = ?)"


def add_tag_filter(q: Query, col: str, text: str) -> None:
    """--tag on a list: every tag named (`a,b`: both), read as tags are stored (any case, spaces collapsed)."""
    from salescli.values import parse_tags

    for tag in parse_tags(text) or [text]:
        q.add(TAG_MATCH.format(col=col), tag)


#: What names a record of each table a reference may name (fixed names, written into SQL).
_NAME_COLUMN = {"companies": "name", "contacts": "name", "deals": "title"}


class CrmStore(RepositoryBase):
    # -- companies -----------------------------------------------------------------------
    def company(self, company_id: int) -> Row | None:
        return self.one("SELECT * FROM companies WHERE id = ?", (company_id,))

    def names(self, table: str, limit: int) -> list[str]:
        """Up to limit company or contact names, or deal titles (for a "did you mean")."""
        column = _NAME_COLUMN[table]
        return [str(r["name"]) for r in self.all(f"SELECT {column} AS name FROM {table} LIMIT ?", (limit,))]

    def names_sharing_words(self, table: str, words: str, limit: int = 3) -> list[str]:
        """Company or contact names (deal titles) that begin with these whole words ("Acme" -> "Acme Robotics")
        or that these words begin with ("Acme Robotics Inc" -> "Acme Robotics"), any case."""
        text = words.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        column = _NAME_COLUMN[table]
        return [str(r["name"]) for r in self.all(
            f"SELECT {column} AS name FROM {table} WHERE {column} LIKE ? ESCAPE '\\'"
            f" OR lower(substr(?, 1, length({column}) + 1)) = lower({column}) || ' ' ORDER BY id LIMIT ?",
            (escaped + " %", text, limit))]

    def named_loosely(self, table: str, name: str) -> list[int]:
        """Ids of companies or contacts whose name is name with other runs of white space ("Acme  Corp" for
        "acme corp"), any case; at most 21 (see refs.MATCHES_COUNTED)."""
        from salescli.values import fold

        words = name.casefold().split() if not name.isascii() else name.split()
        if len(words) < 2:
            return []
        pattern = "%".join(w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words)
        key = fold(name)
        column = "name" if name.isascii() else "casefold(name)"  # (LIKE folds ASCII letters only)
        rows = self.all(f"SELECT id, name FROM {table} WHERE {column} LIKE ? ESCAPE '\\' ORDER BY id LIMIT 500",
                        (pattern,))
        return [r["id"] for r in rows if fold(r["name"]) == key][:21]

    def companies_named(self, name: str) -> list[Row]:
        if not name.isascii():  # NOCASE folds ASCII only: "ZOË" must find "Zoë"
            return self.all(
                "SELECT id, name, domain FROM companies WHERE casefold(name) = ? ORDER BY id LIMIT 21",
                (name.casefold(),),
            )
        return self.all(
            "SELECT id, name, domain FROM companies WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 21",
            (name,),
        )

    def company_by_domain(self, domain: str) -> Row | None:
        return self.one("SELECT * FROM companies WHERE domain = ?", (domain,))

    def company_query(
        self,
        *,
        tag: str | None = None,
        owner: str | None = None,
        segment: str | None = None,
        industry: str | None = None,
        sort: str = "id",
    ) -> Query:
        q = Query(
            "c.id, c.name, c.domain, c.industry, c.segment, c.territory, c.owner, c.tags, c.notes,"
            " c.created_at, c.updated_at, c.last_activity_at, c.external_id, c.extra,"
            " (SELECT count(*) FROM contacts WHERE company_id = c.id) AS contact_count,"
            " (SELECT count(*) FROM deals WHERE company_id = c.id AND status = 'open') AS open_deals",
            "companies c",
            order_by=COMPANY_SORTS[sort],
        )
        if tag:
            add_tag_filter(q, "c.tags", tag)
        if owner:
            q.add("c.owner = ? COLLATE NOCASE", owner)
        if segment:
            q.add("c.segment = ? COLLATE NOCASE", segment)
        if industry:
            q.add("c.industry = ? COLLATE NOCASE", industry)
        return q

    def linked_records(self, link: str, record_id: int) -> list[tuple[str, str, int]]:
        """(table, entity, id) of the records whose company_id, contact_id or deal_id points at a record."""
        assert link in ("company_id", "contact_id", "deal_id")
        out: list[tuple[str, str, int]] = []
        if link == "company_id":
            out += [("contacts", "contact", r["id"]) for r in self.all(
                "SELECT id FROM contacts WHERE company_id = ? ORDER BY id", (record_id,))]
        if link != "deal_id":
            out += [("deals", "deal", r["id"]) for r in self.all(
                f"SELECT id FROM deals WHERE {link} = ? ORDER BY id", (record_id,))]
        out += [("activities", "task" if r["kind"] == "task" else "activity", r["id"]) for r in self.all(
            f"SELECT id, kind FROM activities WHERE {link} = ? ORDER BY id", (record_id,))]
        return out

    def unlink_logged(self, link: str, record_id: int) -> None:
        """Clear the links to a record before deleting it, so the history says what pointed at it (the foreign key
        would clear them silently)."""
        for table, entity, row_id in self.linked_records(link, record_id):
            self.change_record(table, entity, row_id, {link: None})

    def company_links(self, company_id: int) -> dict[str, int]:
        return {
            "contacts": int(self.scalar("SELECT count(*) FROM contacts WHERE company_id = ?", (company_id,))),
            "deals": int(self.scalar("SELECT count(*) FROM deals WHERE company_id = ?", (company_id,))),
            "activities": int(
                self.scalar("SELECT count(*) FROM activities WHERE company_id = ?", (company_id,))
            ),
        }

    def contact_links(self, contact_id: int) -> dict[str, int]:
        return {table: int(self.scalar(f"SELECT count(*) FROM {table} WHERE contact_id = ?", (contact_id,)))
                for table in ("deals", "activities")}

    # -- contacts ------------------------------------------------------------------------
    def contact(self, contact_id: int) -> Row | None:
        return self.one(
            "SELECT p.*, c.name AS company FROM contacts p LEFT JOIN companies c ON c.id = p.company_id"
            " WHERE p.id = ?",
            (contact_id,),
        )

    def contact_by_email(self, email: str) -> Row | None:
        return self.one("SELECT * FROM contacts WHERE email = ?", (email,))

    def contacts_named(self, name: str) -> list[Row]:
        if not name.isascii():  # NOCASE folds ASCII only: "JOSÉ" must find "José"
            return self.all(
                "SELECT p.id, p.name, p.email, c.name AS company FROM contacts p"
                " LEFT JOIN companies c ON c.id = p.company_id WHERE casefold(p.name) = ? ORDER BY p.id LIMIT 21",
                (name.casefold(),),
            )
        return self.all(
            "SELECT p.id, p.name, p.email, c.name AS company FROM contacts p"
            " LEFT JOIN companies c ON c.id = p.company_id WHERE p.name = ? COLLATE NOCASE ORDER BY p.id LIMIT 21",
            (name,),
        )

    def contact_query(
        self,
        *,
        tag: str | None = None,
        owner: str | None = None,
        status: str | None = None,
        company_id: int | None = None,
        source: str | None = None,
        sort: str = "id",
    ) -> Query:
        q = Query(
            "p.id, p.name, p.email, p.phone, p.title, p.company_id, c.name AS company, p.owner,"
            " p.status, p.source, p.tags, p.notes, p.created_at, p.updated_at, p.last_activity_at,"
            " p.external_id, p.extra",
            "contacts p LEFT JOIN companies c ON c.id = p.company_id",
            order_by=CONTACT_SORTS[sort],
        )
        if tag:
            add_tag_filter(q, "p.tags", tag)
        if owner:
            q.add("p.owner = ? COLLATE NOCASE", owner)
        if status:
            q.add("p.status = ?", status)
        if company_id is not None:
            q.add("p.company_id = ?", company_id)
        if source:
            q.add("p.source = ? COLLATE NOCASE", source)
        return q

    def companies_writing_from(self, domain: str) -> list[Row]:
        """Companies with no domain of their own whose contacts' e-mails are at domain (id, name), at most 5."""
        return self.all("SELECT DISTINCT c.id, c.name FROM companies c JOIN contacts p ON p.company_id = c.id"
                        " WHERE p.email LIKE '%@' || ? AND c.domain IS NULL ORDER BY c.id LIMIT 5", (domain,))

    def deleted_contacts(self, ref: str) -> list[Row]:
        """Contacts deleted since (`contact rm`, an undone import) whose history still holds them, by id or e-mail
        (every one that had it): their last values, as `contact forget` erases them (none when not found, or
        forgotten already)."""
        text = ref.strip()
        # an id is looked up by the index; an e-mail (never digits alone) among the deletions' values
        by_id = text.isascii() and text.isdigit() and len(text) < 19
        match = "entity_id = ?" if by_id else "lower(json_extract(before, '$.email')) = ?"
        rows = self.all(
            "SELECT entity_id, before FROM changes WHERE id IN (SELECT max(id) FROM changes WHERE entity = 'contact'"
            f" AND action = 'delete' AND {match} AND entity_id NOT IN (SELECT id FROM contacts) GROUP BY entity_id)"
            " ORDER BY entity_id", (int(text) if by_id else text.lower(),))
        out = []
        for row in rows:
            values = _loads(row["before"] or "{}")
            out.append({**(values if isinstance(values, dict) else {}), "id": int(row["entity_id"])})
        return out

    def forget_contact(self, contact_id: int) -> dict[str, int]:
        """Erase a person: the row, their activities' text, their history; deal figures stay.

        Every name, e-mail and phone the person ever had (their own history holds the old ones)
        is replaced by "(erased)" wherever free text or history quotes it, matched as a whole
        word so that "Li" does not erase "Linux". Runs inside the caller's transaction with
        secure_delete on, so freed bytes are zeroed; the caller checkpoints the WAL afterwards.
        """
        person = self.one("SELECT * FROM contacts WHERE id = ?", (contact_id,))
        deleted = person is None  # (`contact rm`, an undone import: the history still holds them, so erase that)
        if person is None:
            found = self.deleted_contacts(str(contact_id))
            if not found:
                return {}
            person = found[0]
        # Their history includes that of the duplicates merged into them (`contact merge`), chains too.
        ids = [r["id"] for r in self.all(
            "WITH RECURSIVE merged(id) AS (SELECT ? UNION SELECT c.entity_id FROM changes c JOIN merged m"
            " ON c.entity = 'contact' AND c.action = 'merge' AND json_extract(c.after, '$.merged_into') = m.id)"
            " SELECT id FROM merged", (contact_id,))]
        own = f"entity = 'contact' AND entity_id IN ({', '.join('?' * len(ids))})"
        own_history = self.all(f"SELECT before, after FROM changes WHERE {own}", ids)
        anycase, proper, about = _personal_values(person, own_history)
        # (a one-word name elsewhere: only as spelt; a full name in any case but all small letters)
        scrub = _Scrubber(anycase + proper, exact_case=proper, spare_lowercase=True)
        everywhere = anycase + proper
        # another contact of the same name keeps their record, history and activities: "Ana Silva" there is them
        namesakes = [r["id"] for r in self.all(
            "SELECT id FROM contacts WHERE id <> ? AND casefold(name) IN (SELECT value FROM json_each(?))",
            (contact_id, json.dumps([v.casefold() for v in everywhere])))]
        counts: dict[str, int] = {}
        # their activities and tasks: linked now, or ever (one deleted since, or moved to someone else)
        theirs = [r["id"] for r in self.all(
            "SELECT id FROM activities WHERE contact_id = ?1 UNION SELECT entity_id FROM changes"
            " WHERE entity IN ('activity', 'task') AND (json_extract(before, '$.contact_id') = ?1"
            " OR json_extract(after, '$.contact_id') = ?1)", (contact_id,))]
        # a task an automation made keeps its subject while it is the rule's own text (no one's words about them;
        # a mention of their name in it is scrubbed below as anywhere else)
        templated = {r["id"]: r["subject"] for r in self.all(
            "SELECT a.id, a.subject FROM activities a JOIN automations r ON r.id = a.automation_id"
            " WHERE a.contact_id = ? AND a.subject = r.task_subject", (contact_id,))}
        # (a deleted person's activities were unlinked when they went: those of theirs that name no one now)
        unlinked = " OR (contact_id IS NULL AND id IN (SELECT value FROM json_each(?)))" if deleted else ""
        cur = self.conn.execute(
            "UPDATE activities SET subject = CASE WHEN id IN (SELECT value FROM json_each(?)) THEN subject"
            f" ELSE '(erased)' END, body = NULL, outcome = NULL, extra = NULL, contact_id = NULL WHERE contact_id = ?"
            f"{unlinked}", (json.dumps(list(templated)), contact_id, *([json.dumps(theirs)] if deleted else [])),
        )
        counts["activities"] = cur.rowcount
        rewritten = 0
        for chunk in (theirs[i:i + 500] for i in range(0, len(theirs), 500)):  # their history says no more
            marks = ", ".join("?" * len(chunk))
            for row in self.all(f"SELECT id, entity_id, before, after FROM changes WHERE entity IN ('activity', 'task')"
                                f" AND entity_id IN ({marks})", chunk):
                kept = templated.get(row["entity_id"])
                self.conn.execute("UPDATE changes SET before = ?, after = ? WHERE id = ?",
                                  (_anonymised(row["before"], contact_id, kept),
                                   _anonymised(row["after"], contact_id, kept), row["id"]))
                rewritten += 1
        deals = [r["id"] for r in self.all("SELECT id FROM deals WHERE contact_id = ?", (contact_id,))]
        if deleted:  # their deals, unlinked when they went (and not given to anyone since)
            deals += [r["id"] for r in self.all(
                "SELECT DISTINCT d.id FROM changes c JOIN deals d ON d.id = c.entity_id WHERE c.entity = 'deal'"
                " AND json_extract(c.before, '$.contact_id') = ? AND d.contact_id IS NULL", (contact_id,))]
        self.conn.execute(  # each deal's history says it lost its contact
            "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
            " SELECT ?, 'deal', id, 'update', ?, ?, json_object('contact_id', contact_id),"
            " json_object('contact_id', NULL) FROM deals WHERE contact_id = ? ORDER BY id",
            (self.batch_id, self.now(), self.user, contact_id))
        cur = self.conn.execute("UPDATE deals SET contact_id = NULL WHERE contact_id = ?", (contact_id,))
        counts["deals"] = cur.rowcount
        self.conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))
        cur = self.conn.execute(f"DELETE FROM changes WHERE {own}", ids)
        counts["history"] = cur.rowcount + rewritten
        if scrub:
            spared = json.dumps(namesakes)
            not_theirs = {"contacts": " AND id NOT IN (SELECT value FROM json_each(?))",
                          "activities": " AND coalesce(contact_id, 0) NOT IN (SELECT value FROM json_each(?))",
                          "deals": " AND coalesce(contact_id, 0) NOT IN (SELECT value FROM json_each(?))"}
            self.conn.create_function("salescli_mentions", 1, scrub.mentions)
            try:
                for table, cols in _FREE_TEXT:
                    skip = not_theirs.get(table, "")
                    for col in cols:
                        for row in self.all(
                            f"SELECT id, {col} AS text FROM {table} WHERE salescli_mentions({col}){skip}",
                            (spared,) if skip else (),
                        ):
                            self.conn.execute(
                                f"UPDATE {table} SET {col} = ? WHERE id = ?", (scrub(row["text"]), row["id"])
                            )
                # Any other change row that quotes the person (an activity's subject, a deal's note...), in its
                # text fields; not a user's record, nor a namesake's own.
                for row in self.all(
                    "SELECT id, before, after FROM changes WHERE entity <> 'user'"
                    " AND NOT (entity = 'contact' AND entity_id IN (SELECT value FROM json_each(?1)))"
                    " AND NOT (entity IN ('activity', 'task') AND entity_id IN (SELECT id FROM activities"
                    "   WHERE contact_id IN (SELECT value FROM json_each(?1))))"
                    " AND NOT (entity = 'deal' AND entity_id IN (SELECT id FROM deals"
                    "   WHERE contact_id IN (SELECT value FROM json_each(?1))))"
                    " AND (salescli_mentions(before) OR salescli_mentions(after))", (spared,)
                ):
                    before = scrub.json_text(row["before"], _TEXT_KEYS)
                    after = scrub.json_text(row["after"], _TEXT_KEYS)
                    if (before, after) != (row["before"], row["after"]):
                        self.conn.execute("UPDATE changes SET before = ?, after = ? WHERE id = ?",
                                          (before, after, row["id"]))
                        counts["history"] += 1
            finally:
                self.conn.create_function("salescli_mentions", 1, None)
        self._forget_in_texts_about(about, deals, [v for v in anycase if "@" not in v and not _is_phone(v)])
        for forgotten in ids:  # (the duplicates merged into them too: their history says they were forgotten)
            self.record_change("contact", forgotten, "forget", None, None)
        # FTS5 keeps deleted terms in its segments until they are merged; rebuild drops them.
        self.conn.execute("INSERT INTO search_index(search_index) VALUES ('rebuild')")
        return counts

    def _forget_in_texts_about(self, values: list[str], deals: list[int], names: list[str]) -> None:
        """Where a text is about the person — their deals, those deals' activities that name no other contact, the
        stage notes and the history of those — "Call Ana" names them by a first name, a one-word name or a short
        number: erased there too, spelt as they are (elsewhere an Ana may be someone else, and "bill" is not
        Bill); and their full names in any case ("ana silva", spared elsewhere)."""
        scrub = _Scrubber(values + names, exact_case=_as_spelt(values))
        if not scrub:
            return
        for chunk in (deals[i:i + 500] for i in range(0, len(deals), 500)):
            marks = ", ".join("?" * len(chunk))
            activities = [r["id"] for r in self.all(
                f"SELECT id FROM activities WHERE deal_id IN ({marks}) AND contact_id IS NULL", chunk)]
            for table, where, ids in (("deals", f"id IN ({marks})", chunk),
                                      ("activities", f"deal_id IN ({marks}) AND contact_id IS NULL", chunk),
                                      ("stage_history", f"deal_id IN ({marks})", chunk)):
                cols = dict(_FREE_TEXT)[table]
                for row in self.all(f"SELECT id, {', '.join(cols)} FROM {table} WHERE {where}", ids):
                    erased = {c: scrub(row[c]) for c in cols if scrub.mentions(row[c])}
                    if erased:
                        self.update_row(table, row["id"], erased)
            for entity, ids in (("deal", chunk), ("activity", activities), ("task", activities)):
                for part in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                    for row in self.all(f"SELECT id, before, after FROM changes WHERE entity = ? AND entity_id IN"
                                        f" ({', '.join('?' * len(part))})", (entity, *part)):
                        if scrub.mentions(row["before"]) or scrub.mentions(row["after"]):
                            self.conn.execute("UPDATE changes SET before = ?, after = ? WHERE id = ?",
                                              (scrub.json_text(row["before"], _TEXT_KEYS),
                                               scrub.json_text(row["after"], _TEXT_KEYS), row["id"]))

    def contact_status(self, contact_id: int) -> Row | None:
        return self.one("SELECT id, name, status FROM contacts WHERE id = ?", (contact_id,))

    def last_status_change(self, contact_id: int) -> Row | None:
        """The contact's latest change of status (action, before)."""
        return self.one("SELECT action, before FROM changes WHERE entity = 'contact' AND entity_id = ?"
                        " AND json_extract(after, '$.status') IS NOT NULL ORDER BY id DESC LIMIT 1", (contact_id,))

    def has_other_won_deal(self, contact_id: int, deal_id: int) -> bool:
        return self.scalar("SELECT EXISTS (SELECT 1 FROM deals WHERE contact_id = ? AND status = 'won' AND id != ?)",
                           (contact_id, deal_id)) == 1

    # -- related records (shown by company/contact show) ------------------------------------
    def company_deals(self, company_id: int) -> list[Row]:
        return self.all(
            "SELECT d.id, d.title, s.name AS stage, d.status, d.amount_minor, d.currency"
            " FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.company_id = ? ORDER BY d.id",
            (company_id,),
        )

    def deals_of_companies(self, company_ids: list[int], limit: int) -> list[Row]:
        """Deals of these companies, open ones first, newest first (search: a company's name finds its deals)."""
        return self.all(
            "SELECT d.id, d.title, c.name AS company FROM deals d JOIN companies c ON c.id = d.company_id"
            " WHERE d.company_id IN (SELECT value FROM json_each(?)) ORDER BY d.status = 'open' DESC, d.id DESC"
            " LIMIT ?", (json.dumps(company_ids), limit))

    def contact_deals(self, contact_id: int) -> list[Row]:
        return self.all(
            "SELECT d.id, d.title, s.name AS stage, d.status, d.amount_minor, d.currency"
            " FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.contact_id = ? ORDER BY d.id",
            (contact_id,),
        )

    def timeline(self, entity: str, entity_id: int, limit: int = 200) -> list[Row]:
        """Activities, tasks and stage changes of a deal, contact or company, newest first.

        Same day: the later recorded first (created_at / changed_at), then tasks and activities
        before stage changes, then by id, newest first.
        """
        link = {"deal": "deal_id", "contact": "contact_id", "company": "company_id"}[entity]
        stage_filter = {
            "deal": "h.deal_id = ?",
            "contact": "d.contact_id = ?",
            "company": "d.company_id = ?",
        }[entity]
        of_deal = "" if entity == "deal" else "'deal ' || d.id || ' ' || d.title || ': ' || "  # (whose stage)
        return self.all(
            f"""
            SELECT date, kind, summary, who FROM (
                SELECT substr(a.occurred_at, 1, 10) AS date, a.created_at AS stamp, a.id AS sort_id, 1 AS source,
                       CASE WHEN a.kind = 'task'
                            THEN 'task' || CASE WHEN a.done_at IS NULL THEN ' (open)' ELSE ' (done)' END
                            ELSE a.kind END AS kind,
                       a.subject || CASE WHEN a.outcome IS NOT NULL THEN ' → ' || a.outcome ELSE '' END
                         || CASE WHEN a.kind = 'task' AND a.due_date IS NOT NULL
                                 THEN ' (due ' || a.due_date || ')' ELSE '' END AS summary,
                       a.owner AS who
                FROM activities a WHERE a.{link} = ?
                UNION ALL
                SELECT substr(h.changed_at, 1, 10), h.changed_at, h.id, 0, 'stage',
                       {of_deal}coalesce(f.name || ' → ', 'entered ') || t.name
                         || CASE WHEN h.forced THEN ' (forced)' ELSE '' END
                         || CASE WHEN h.note IS NOT NULL THEN ': ' || h.note ELSE '' END,
                       h.changed_by
                FROM stage_history h JOIN deals d ON d.id = h.deal_id
                JOIN stages t ON t.id = h.to_stage_id LEFT JOIN stages f ON f.id = h.from_stage_id
                WHERE {stage_filter}
            ) ORDER BY date DESC, stamp DESC, source DESC, sort_id DESC LIMIT ?
            """,
            (entity_id, entity_id, limit),
        )


# Free text that may quote a person by name, e-mail or phone (scrubbed by contact forget).
_FREE_TEXT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("companies", ("notes", "tags", "extra")),
    ("contacts", ("notes", "tags", "extra")),
    ("deals", ("title", "notes", "next_step", "lost_reason", "park_reason", "tags", "extra")),
    ("activities", ("subject", "body", "outcome", "extra")),
    ("stage_history", ("note",)),
    ("import_batches", ("summary",)),
)
_PERSONAL_FIELDS = ("name", "email", "phone")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "m", "mme", "mlle",
                     "sr", "sra", "srta", "don", "dona", "dott", "ing"})
# The fields of a change record that hold free text (or a name or address typed into one): what `contact forget`
# looks into; an owner, a stage or a currency is never a mention of the person.
_TEXT_KEYS = frozenset({"name", "email", "phone", "title", "notes", "next_step", "lost_reason", "park_reason",
                        "subject", "body", "outcome", "note", "extra", "summary", "tags", "company", "contact",
                        "deal", "reason", "domain"})


def _anonymised(side: str | None, contact_id: int, kept_subject: str | None = None) -> str | None:
    """An activity's change record as `contact forget` leaves the activity: no text (but the subject it keeps,
    an automation's), no link to them."""
    try:
        data = json.loads(side) if side else None
    except ValueError:
        return side
    if not isinstance(data, dict):
        return side
    for key in ("subject", "body", "outcome", "extra"):
        if data.get(key) is not None and not (key == "subject" and data[key] == kept_subject):
            data[key] = "(erased)" if key == "subject" else None
    if data.get("contact_id") == contact_id:
        data["contact_id"] = None
    return json.dumps(data, ensure_ascii=False)


def _personal_values(person: Row, history: list[Row]) -> tuple[list[str], list[str], list[str]]:
    """The person's name, e-mail and phone, now and as their own history recorded them before, as (values erased
    wherever a text quotes them in any case: e-mails, full names, phone numbers of 7 digits or more; one-word names,
    erased wherever a text spells them so: "Li", not "li"; values erased only in texts about the person, as spelt:
    the first name of a full name and a short number, which elsewhere name someone or something else)."""
    found: list[tuple[str, str]] = [(k, person[k]) for k in _PERSONAL_FIELDS if person.get(k)]
    for row in history:
        for side in (row["before"], row["after"]):
            try:
                data = json.loads(side) if side else None
            except ValueError:
                continue
            if isinstance(data, dict):
                found += [(k, str(data[k])) for k in _PERSONAL_FIELDS if data.get(k)]
    anycase: dict[str, None] = {}
    proper: dict[str, None] = {}
    about: dict[str, None] = {}
    for key, raw in found:
        value = raw.strip()
        words = value.split()
        if not value:
            continue
        if key == "email" or (key == "name" and len(words) > 1) or (
                key == "phone" and sum(c.isdigit() for c in value) >= 7):
            anycase.setdefault(value)
            if key == "name":  # "Silva, Ana", "de la Cruz, Maria": as lists and CRM exports write it, last name
                named = [w for w in words if w.rstrip(".").casefold() not in _TITLES] or words  # first (no "Dr")
                for i in range(1, len(named)):
                    anycase.setdefault(f"{' '.join(named[i:])}, {' '.join(named[:i])}")
        elif key == "name":
            proper.setdefault(value)
            about.setdefault(value)
        else:
            about.setdefault(value)
        given = [w for w in words[:-1] if w.rstrip(".").casefold() not in _TITLES] if key == "name" else []
        first = given[0] if given else None
        if first is not None and len(first) > 1:  # (Dr Ana Silva: Ana)
            about.setdefault(first)
    return list(anycase), list(proper), list(about)


def _as_spelt(values: list[str]) -> list[str]:
    """Of names, those to match only as spelt: the ones written as a proper name ("Li", "Bill": capital then small
    letters). One stored all in small or capital letters ("madonna", "ANA SILVA") says nothing of how a text
    writes it: it matches in any case."""
    return [v for v in values if v[:1].isupper() and any(c.islower() for c in v)]


class _Scrubber:
    """Replaces whole-word mentions of some values with "(erased)"."""

    def __init__(self, values: list[str], exact_case: list[str] | tuple[str, ...] = (), *,
                 spare_lowercase: bool = False) -> None:
        """values match in any case, the spaces between words any spaces; those also in exact_case only as spelt (a
        proper name: "Li", not "li"); a phone number however its digits are grouped ("+1 415 555 0101" is also
        "(415) 555-0101"). spare_lowercase: a name written with capitals matches a text in any case but all small
        letters ("mark price" in "mark price changes" is no quote of Mark Price)."""
        alternatives = [_phone_pattern(v) if _is_phone(v) else rf"(?<!\w){_spaced(v)}(?!\w)" if v in exact_case
                        else rf"(?i:(?<!\w){_spaced(v)}(?!\w))" for v in sorted(set(values), key=len, reverse=True)]
        self.pattern = re.compile("|".join(alternatives)) if alternatives else None
        self.spared = {" ".join(v.casefold().split()) for v in values
                       if spare_lowercase and not v.islower() and "@" not in v and not _is_phone(v)}

    def _erase(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if text.islower() and " ".join(text.split()) in self.spared:
            return text
        if text[:1].isdigit() or text[:1] == "(":  # (a number after another country's code is that country's)
            if _OTHER_COUNTRY_RE.search(match.string, max(0, match.start() - 12), match.start()):
                return text
        return "(erased)"

    def __bool__(self) -> bool:
        return self.pattern is not None

    def __call__(self, text: Any) -> Any:
        if not isinstance(text, str) or self.pattern is None:
            return text
        if text[:1] in "[{":
            return self.json_text(text)
        return self.pattern.sub(self._erase, text)

    def mentions(self, text: Any) -> bool:
        if not isinstance(text, str) or self.pattern is None:
            return False
        if self.pattern.search(text):
            return True
        # JSON written with ensure_ascii escapes "é" as \u00e9: look at the decoded strings too.
        return "\\u" in text and any(self.pattern.search(s) for s in _strings(_loads(text)))

    def json_text(self, text: str | None, keys: frozenset[str] | None = None) -> str | None:
        """A JSON document with the mentions erased inside its strings (plain text if not JSON); with keys, only
        under those keys of a top-level object (a change record: its text fields, not its owner or stage)."""
        if text is None:
            return None
        data = _loads(text)
        if data is _NOT_JSON:
            return self.pattern.sub(self._erase, text) if self.pattern else text
        if keys is not None and isinstance(data, dict):
            walked = {k: self._walk(v) if k in keys else v for k, v in data.items()}
            return text if walked == data else json.dumps(walked, ensure_ascii=False)
        return json.dumps(self._walk(data), ensure_ascii=False)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pattern.sub(self._erase, value) if self.pattern else value
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, dict):
            return {k: self._walk(v) for k, v in value.items()}
        return value


_PHONE_SEPARATORS = r"[\s().\-/]*"


def _spaced(value: str) -> str:
    """A value as a pattern, its words apart by any spaces ("Ana  Silva", a line break between them; after a comma
    none: "Silva,Ana")."""
    return r"\s+".join(re.escape(word) for word in value.split()).replace(r",\s+", r",\s*")


def _is_phone(value: str) -> bool:
    return sum(c.isdigit() for c in value) >= 7 and all(c.isdigit() or c in " +().-/" for c in value)


def _phone_pattern(value: str) -> str:
    """A phone number's digits with any grouping between them (spaces, dots, dashes, brackets): its national part
    with or without the country code before it (+ or 00), or with the trunk 0 a country dials at home ("+49 30
    1234567" is also "030 1234567" and "0049 (0)30 1234567"); a number stored without a country code, its last
    10 digits so."""
    sep = _PHONE_SEPARATORS
    digits = "".join(c for c in value if c.isdigit())
    written = value.strip()
    if written.startswith("00"):
        digits = digits[2:]
    if not written.startswith(("+", "00")):
        national, country = digits[-10:], digits[:-10]
        prefix = rf"(?:\+?{sep.join(country)}{sep})?" if country else r"(?:\+)?"
        return rf"(?<![\w+]){prefix}\(?{sep.join(national)}(?!\d)"
    forms = []
    # (the country code's length is not written: 1 and 7 are the only codes of one digit, the others two or three)
    for size in (1,) if digits[:1] in ("1", "7") else (2, 3):
        country, national = digits[:size], digits[size:].lstrip("0")
        if len(national) < 7:
            continue
        # with its country code, or the trunk 0 dialled at home; a national part of 10 digits also bare (the
        # (415) 555-0101 of +1 415 555 0101): a shorter one alone is any number's tail
        prefix = rf"(?:(?:\+|00){sep}{sep.join(country)}{sep}(?:\(?0\)?{sep})?|\(?0{sep})"
        forms.append(prefix + ("?" if len(national) >= 10 else "") + rf"\(?{sep.join(national)}")
    return rf"(?<![\w+])(?:{'|'.join(forms)})(?!\d)"


#: A country code just before a number ("+61 " in "+61 415 555 0101"): another country's number, not theirs.
_OTHER_COUNTRY_RE = re.compile(r"(?:\+|00)\d{1,3}[\s().\-/]*$")


_NOT_JSON = object()


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return _NOT_JSON


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []
