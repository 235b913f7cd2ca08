"""Users (team, territory), targets and forecast snapshots."""

from __future__ import annotations

from typing import Any

from salescli.repository.base import RepositoryBase, Row

TARGET_SORT = "t.period_start, t.scope, t.name COLLATE NOCASE, t.metric, t.id"


class TargetStore(RepositoryBase):
    # -- users ---------------------------------------------------------------------------
    def user_row(self, name: str) -> Row | None:
        return self.one("SELECT * FROM users WHERE name = ?", (name,))

    def users(self, team: str | None = None) -> list[Row]:
        """Users with the owner's open-deal count; users are few (a team, not a crowd)."""
        where, params = ("WHERE u.team = ? COLLATE NOCASE", [team]) if team else ("", [])
        return self.all(
            "SELECT u.id, u.name, u.email, u.team, u.territory, u.created_at,"
            " (SELECT count(*) FROM deals d WHERE d.owner = u.name AND d.status = 'open') AS open_deals"
            f" FROM users u {where} ORDER BY u.name COLLATE NOCASE",
            params,
        )

    def closed_deal_count(self, owner: str) -> int:
        return int(self.scalar("SELECT count(*) FROM deals WHERE owner = ? AND status != 'open'", (owner,)))

    def teams(self) -> dict[str, str | None]:
        """Owner name -> team (None when the user has no team)."""
        return {r["name"]: r["team"] for r in self.all("SELECT name, team FROM users")}

    def team_names(self) -> list[str]:
        """The teams users are in, and those targets are set for, as spelt first."""
        return [r["team"] for r in self.all(
            "SELECT team FROM (SELECT team, min(id) AS first FROM users WHERE team IS NOT NULL GROUP BY team"
            " UNION ALL SELECT name, 1e18 + min(id) FROM targets WHERE scope = 'team' GROUP BY name) ORDER BY first")]

    def team_spelling(self, team: str) -> str | None:
        """A team as first spelt by users or targets, matched in any case of any script; None when unknown."""
        return next((t for t in self.team_names() if t.casefold() == team.casefold()), None)

    def team_exists(self, team: str) -> bool:
        """Whether a user is in the team, spelt in any case of any script ("équipe nord" is Équipe Nord)."""
        wanted = team.strip().casefold()
        return any(r["team"].casefold() == wanted for r in self.all(
            "SELECT DISTINCT team FROM users WHERE team IS NOT NULL"))

    # -- targets -------------------------------------------------------------------------
    def target(self, target_id: int) -> Row | None:
        return self.one("SELECT * FROM targets WHERE id = ?", (target_id,))

    def target_like(self, scope: str, name: str, start: str, end: str, metric: str) -> Row | None:
        return self.one(
            "SELECT * FROM targets WHERE scope = ? AND name = ? AND period_start = ? AND period_end = ?"
            " AND metric = ?",
            (scope, name, start, end, metric),
        )

    def targets_overlapping(self, start: str, end: str, metric: str | None = None) -> list[Row]:
        """Targets whose period overlaps [start, end) (end exclusive), oldest period first."""
        sql = "SELECT * FROM targets t WHERE t.period_start < ? AND t.period_end > ?"
        params: list[Any] = [end, start]
        if metric:
            sql += " AND t.metric = ?"
            params.append(metric)
        return self.all(sql + f" ORDER BY {TARGET_SORT}", params)

    def target_rows(self, *, scope: str | None = None, name: str | None = None,
                    start: str | None = None, end: str | None = None, metric: str | None = None) -> list[Row]:
        sql = "SELECT * FROM targets t WHERE 1"
        params: list[Any] = []
        if scope:
            sql += " AND t.scope = ?"
            params.append(scope)
        if name:
            sql += " AND t.name = ? COLLATE NOCASE"
            params.append(name)
        if start and end:
            sql += " AND t.period_start < ? AND t.period_end > ?"
            params += [end, start]
        if metric:
            sql += " AND t.metric = ?"
            params.append(metric)
        return self.all(sql + f" ORDER BY {TARGET_SORT}", params)

    def target_periods(self) -> list[Row]:
        return self.all("SELECT id, period_start, period_end, period_label FROM targets ORDER BY id")

    def money_targets_in(self, currency: str) -> list[Row]:
        return self.all("SELECT * FROM targets WHERE metric = 'won_amount' AND currency = ? ORDER BY id", (currency,))

    #: What a user can own: (table, the column naming them, entity in the history; None: activity or task)
    OWNED = (("deals", "owner", "deal"), ("activities", "owner", None), ("companies", "owner", "company"),
             ("contacts", "owner", "contact"), ("automations", "owner_rule", "automation"))

    #: what owned_by reads of each table (of records handed over in bulk, their id and kind; see hand_over)
    _OWNED_COLUMNS = {"deals": "id", "activities": "id, kind", "companies": "id", "contacts": "id"}

    def owned_by(self, name: str) -> dict[str, list[Row]]:
        """What a user owns (OWNED, and their owner targets), each table's rows by id."""
        out = {table: self.all(f"SELECT {self._OWNED_COLUMNS.get(table, '*')} FROM {table} WHERE {column} = ?"
                               " COLLATE NOCASE ORDER BY id", (name,))
               for table, column, _entity in self.OWNED}
        out["targets"] = self.all("SELECT * FROM targets WHERE scope = 'owner' AND name = ? COLLATE NOCASE"
                                  " ORDER BY id", (name,))
        return out

    def hand_over(self, table: str, column: str, entity: str | None, name: str, heir: str | None) -> int:
        """Give every record of a table a user owns (column = name, any case) to heir, each change logged as
        change_record logs it ({"owner": "ana"} -> {"owner": "sam"}; an activity's entity its kind), in two
        statements: a read, an update and a change row per record took 40 s for 84k deals."""
        kind = f"'{entity}'" if entity else "CASE kind WHEN 'task' THEN 'task' ELSE 'activity' END"
        self.conn.execute(
            "INSERT INTO changes (batch_id, entity, entity_id, action, changed_at, changed_by, before, after)"
            f" SELECT ?, {kind}, id, 'update', ?, ?, '{{\"{column}\": ' || json_quote({column}) || '}}',"
            f" '{{\"{column}\": ' || json_quote(?) || '}}' FROM {table}"
            f" WHERE {column} = ? COLLATE NOCASE AND {column} IS NOT ? ORDER BY id",
            (self.batch_id, self.now(), self.user, heir, name, heir))
        return self.conn.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ? COLLATE NOCASE"
                                 f" AND {column} IS NOT ?", (heir, name, heir)).rowcount

    def has_same_automation(self, rule: Row, owner: str | None) -> bool:
        """Whether another automation does what this one does, for that owner."""
        return self.same_automation(rule, owner) is not None

    def same_automation(self, rule: Row, owner: str | None) -> int | None:
        """The id of another automation that does what this one does (rule's id 0: a new one), for that owner."""
        found = self.scalar(
            "SELECT id FROM automations WHERE id != ? AND owner_rule = ? AND event = ?"
            " AND stage_name IS ? AND task_subject = ? AND due_days = ? ORDER BY id LIMIT 1",
            (rule["id"], owner, rule["event"], rule["stage_name"], rule["task_subject"], rule["due_days"]))
        return None if found is None else int(found)

    # -- forecast snapshots --------------------------------------------------------------
    def snapshot(self, snapshot_id: int) -> Row | None:
        return self.one("SELECT * FROM forecast_snapshots WHERE id = ?", (snapshot_id,))

    def snapshot_rows(self) -> list[Row]:
        return self.all("SELECT * FROM forecast_snapshots ORDER BY taken_at, id")

    def snapshot_of_day(self, day: str, start: str, end: str, scope: dict[str, str | None]) -> Row | None:
        """The latest snapshot taken on day of that period and scope (pipeline, owner, team: any case)."""
        return self.one(
            "SELECT id FROM forecast_snapshots WHERE substr(taken_at, 1, 10) = ? AND period_start = ?"
            " AND period_end = ? AND pipeline IS ? COLLATE NOCASE AND owner IS ? COLLATE NOCASE"
            " AND team IS ? COLLATE NOCASE ORDER BY id DESC LIMIT 1",
            (day, start, end, scope["pipeline"], scope["owner"], scope["team"]))
