"""Full-text search over companies, contacts, deals, activities and tasks (SQLite FTS5).

What a person types never reaches FTS5's query language: it is cut into words the way the
index's tokenizer cuts text, each word is quoted, and the last one may be a prefix.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, UsageError
from salescli.values import composed

if TYPE_CHECKING:
    from salescli.repository import Repository

KINDS = ("company", "contact", "deal", "activity", "task", "call", "email", "meeting", "note")
_KIND_ALIASES = {"companies": "company", "contacts": "contact", "deals": "deal", "activities": "activity",
                 "tasks": "task", "calls": "call", "emails": "email", "e-mail": "email", "meetings": "meeting",
                 "notes": "note"}
_WORD_RE = re.compile(r"[^\W_]+")  # letters and digits: what the unicode61 tokenizer keeps
MAX_WORDS = 16
# Han, kana and Hangul: scripts written without spaces, whose runs the unicode61 tokenizer keeps as one word
_UNSPACED_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
MIN_PREFIX = 2  # a one-letter prefix matches half the index


def fts_query(text: str, prefix: bool = True) -> str:
    """User text -> a safe FTS5 query: every word quoted (so AND, OR, NEAR, quotes and brackets are
    plain words or ignored), all words required, the last one also as a prefix (unless prefix=False)."""
    words = _WORD_RE.findall(text)
    if not words:
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise UsageError(f"nothing to search for in TEXT «{shown}»: give at least one word (letters or digits)")
    if len(words) > MAX_WORDS:
        raise InvalidValue("TEXT", text, f"has more than {MAX_WORDS} words")
    terms = [f'"{w}"' for w in words]
    if prefix and len(words[-1]) >= MIN_PREFIX:
        terms[-1] += "*"
    return " ".join(terms)


def parse_kinds(values: list[str] | None) -> list[str]:
    """--kind company,deal (repeatable); 'task' is a kind of its own, 'activity' the logged ones, 'call',
    'email', 'meeting' and 'note' one kind of those."""
    out: list[str] = []
    for value in values or []:
        for part in value.split(","):
            kind = part.strip().lower()
            kind = _KIND_ALIASES.get(kind, kind)
            if kind not in KINDS:
                raise InvalidValue("--kind", part, f"is not one of {', '.join(KINDS)}")
            if kind not in out:
                out.append(kind)
    return out


def search(repo: Repository, text: str, kinds: list[str], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """The best matches first: kind, id, title and a snippet with the words in [brackets]; and a note when
    more matched than are shown (for stderr)."""
    from salescli.repository.activities import SEARCH_WINDOW

    # the words as typed first ("Deal 42" before Deal 4299), then those the last word begins, if room is left
    text = composed(text)  # ("Mu" + a combining diaeresis + "ller" was the words Mu and ller)
    query, exact_query = fts_query(text), fts_query(text, prefix=False)
    rows, windowed = repo.search(exact_query, kinds, limit + 1, window=SEARCH_WINDOW)
    if query != exact_query and len(rows) <= limit:
        more_rows, more_windowed = repo.search(query, kinds, limit + 1, window=SEARCH_WINDOW)
        seen = {(r["kind"], r["id"]) for r in rows}
        rows += [r for r in more_rows if (r["kind"], r["id"]) not in seen]
        windowed = windowed or more_windowed
    words = _WORD_RE.findall(text)
    if any(_UNSPACED_RE.search(w) for w in words) and len(rows) <= limit:
        # (田中太郎 is one word to the index: 太郎 is found inside it; every word is still needed)
        seen = {(r["kind"], r["id"]) for r in rows}
        rows += [{**r, "snippet": _marked(r, words)} for r in repo.search_text(words, kinds, limit + 1)
                 if (r["kind"], r["id"]) not in seen][:limit + 1 - len(rows)]
    rows += _deals_of_companies_named(repo, text, query, kinds, rows, limit + 1 - len(rows))
    more = len(rows) > limit
    found = [{"kind": r["kind"], "id": r["id"], "title": r["title"], "snippet": _one_line(r["snippet"])}
             for r in rows[:limit]]
    note = None
    if windowed:
        note = (f"more than {SEARCH_WINDOW:,} match: the best {len(found):,} of the newest {SEARCH_WINDOW:,} shown"
                " (add a word or --kind to narrow it)")
    elif more:
        note = f"more match: the best {limit:,} shown (see more with --limit N)"
    return found, note


def _marked(row: dict[str, Any], words: list[str]) -> str:
    """A snippet for a match found inside a word: the title, or the body around the first word, the words in
    [brackets] as the index's snippets have them."""
    title, body = str(row["title"] or ""), str(row["body"] or "")
    text = title if all(w.casefold() in title.casefold() for w in words) or not body else body
    at = max(text.casefold().find(words[0].casefold()), 0)
    if len(text) > 60:  # (about an index snippet's length: the first word and what is around it)
        start = max(at - 20, 0)
        text = ("…" if start else "") + text[start:start + 60] + ("…" if start + 60 < len(text) else "")
    for word in words:
        text = re.sub(re.escape(word), lambda m: f"[{m.group(0)}]", text, flags=re.IGNORECASE)
    return text


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _deals_of_companies_named(repo: Repository, text: str, query: str, kinds: list[str], rows: list[Any],
                              room: int) -> list[dict[str, Any]]:
    """The deals of the companies whose name the words are ("globex": Globex's deals, whatever their titles), after
    the matches themselves: a person searching a customer's name means its deals too."""
    if room <= 0 or (kinds and "deal" not in kinds):
        return []
    companies = [r for r in rows if r["kind"] == "company"] if not kinds or "company" in kinds else \
        repo.search(query, ["company"], 10)[0]
    words = [_folded(w) for w in _WORD_RE.findall(text)]
    named = [int(r["id"]) for r in companies if _names(words, str(r["title"]))]
    if not named:
        return []
    seen = {r["id"] for r in rows if r["kind"] == "deal"}
    return [{"kind": "deal", "id": d["id"], "title": d["title"], "snippet": f"deal at [{d['company']}]"}
            for d in repo.deals_of_companies(named, room + len(seen)) if d["id"] not in seen][:room]


def _names(words: list[str], name: str) -> bool:
    """Whether every word is one of the name's (the last may begin one), as the search matched it."""
    have = [_folded(w) for w in _WORD_RE.findall(name)]
    *whole, last = words
    return all(w in have for w in whole) and any(h.startswith(last) for h in have)


def _folded(word: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))
