"""The demo: a database built from the bundled sample data, relative to today."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from salescli.errors import RuleError

if TYPE_CHECKING:
    from salescli.context import AppContext
    from salescli.repository import Repository

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "sample_data"


def _is_demo(path: Path) -> bool:
    from salescli.errors import DatabaseError
    from salescli.repository import Repository

    try:
        repo = Repository.open(path, create=False)
    except DatabaseError:
        return False
    try:
        return repo.settings().get("demo") == "1"
    finally:
        repo.close()


def build_demo(target: Path, today: date, user: str) -> None:
    """(Re)build a demo database at target; refuses to replace anything that is not a demo."""
    from salescli.context import AppContext
    from salescli.services.crm import add_company, add_contact

    if target.exists():
        if not _is_demo(target):
            raise RuleError(f"{target} exists and is not a salescli demo database; not replacing it",
                            hint="pass --db with another path")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    app = AppContext(db_path=target, user=user, today=today, today_pinned=True)
    repo = app.repo(create=True)
    try:
        with repo.write():
            repo.set_setting("demo", "1")
            with open(SAMPLE_DATA / "companies.csv", encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    add_company(repo, {**row, "tags": [t for t in row["tags"].split(",") if t]})
            with open(SAMPLE_DATA / "contacts.csv", encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    company = row.pop("company")
                    add_contact(repo, {**row, "tags": [t for t in row["tags"].split(",") if t]},
                                company_ref=company)
            _import_pipeline(repo, today)
    except BaseException:
        app.discard_created_database()  # a demo that failed (disk full, Ctrl-C) leaves no empty database
        raise
    finally:
        app.close()


def _import_pipeline(repo: Repository, today: date) -> None:
    """Users, deals (with their history), activities and targets through the normal import path; the
    CSVs' relative dates (-45d, +12d, this-quarter) are read relative to today."""
    from salescli.importers.apply import run_import
    from salescli.importers.mapping import build_spec
    from salescli.importers.plan import ImportOptions
    from salescli.services.config import set_rate
    from salescli.services.targets import import_targets

    set_rate(repo, "EUR", "1.08", today.replace(day=1))
    for entity in ("users", "deals", "activities"):
        options = ImportOptions(entity=entity, today=today, spec=build_spec(entity))
        report = run_import(repo, str(SAMPLE_DATA / f"{entity}.csv"), options)
        if report.refused:
            raise report.refusal()
    import_targets(repo, SAMPLE_DATA / "targets.csv", today)
    _stage_paths(repo, today)


def _stage_paths(repo: Repository, today: date) -> None:
    """The closed sample deals' way through the pipeline (stage_paths.csv), which a deals CSV cannot say:
    without it every demo deal would have been won or lost straight from its first stage, and the funnel,
    the stages lost from and the historical win rates would have nothing to show."""
    from salescli.values import parse_date

    stages = {s["name"]: s["id"] for s in repo.import_stages()}
    paths: dict[str, list[tuple[int, str]]] = {}
    with open(SAMPLE_DATA / "stage_paths.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            paths.setdefault(row["external_id"], []).append(
                (stages[row["stage"]], parse_date(row["date"], today).isoformat()))
    ids = repo.import_deal_ids_by_external(list(paths))
    for external_id, stops in paths.items():
        repo.insert_stage_path(ids[external_id], stops)


def print_demo(app: AppContext) -> None:
    """What a newcomer sees first: the pipeline by stage and this quarter's forecast."""
    from salescli.render_report import render_report
    from salescli.services.reports import common, forecast, pipeline

    repo = app.repo()
    render_report(pipeline.build(common.resolve(repo, app.today)), fmt="table", chart=True)
    print()
    render_report(forecast.build(common.resolve(repo, app.today)), fmt="table", chart=True)
