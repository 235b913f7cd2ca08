"""salescli pipeline list|show|add|set-default|stage-add|stage-edit|stage-rm"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from salescli.commands.lazy import LazyTyper
from salescli.commands.options import (
    FormatOpt,
    OutputOpt,
    YesOpt,
    app_context,
    changed_fields,
    confirm,
    flush_notices,
    parsed,
    say,
)

app = LazyTyper(help="Pipelines and their stages: list, show, add, rename, rm, set-default, stage-add, stage-edit,"
                       " stage-rm.",
                  no_args_is_help=True)

PipelineArg = Annotated[str, typer.Argument(help="Pipeline name (any case) or id.")]
StageArg = Annotated[str, typer.Argument(help="Stage name (any case).")]
ProbabilityOpt = Annotated[str | None, typer.Option("--probability", "-p", help="Win probability 0-100.")]
KindOpt = Annotated[str | None, typer.Option("--kind", help="open, won or lost.")]
RotOpt = Annotated[str | None, typer.Option("--rot-days", help="Days idle before a deal here is stale.")]
RequireOpt = Annotated[
    str | None,
    typer.Option("--require", help="Fields a deal needs to enter: amount, expected_close, company, contact, "
                                   "owner, source, next_step, next_step_date (comma-separated; '' for none).")
]
PositionOpt = Annotated[str | None, typer.Option("--position", help="Place at position N (1 = first).")]
AfterOpt = Annotated[str | None, typer.Option("--after", help="Place after this stage.")]
BeforeOpt = Annotated[str | None, typer.Option("--before", help="Place before this stage.")]


def stage_columns() -> list[Any]:
    from salescli.render import Column

    return [
        Column("position", "#", justify="right"),
        Column("name", "stage"),
        Column("probability", "prob", justify="right", show=lambda v, r: f"{v}%"),
        Column("kind"),
        Column("rot_days", "rot days", justify="right"),
        Column("required_fields", "requires"),
        Column("deals", justify="right"),
        Column("open_deals", "open", justify="right"),
        Column("id", in_table=False),
    ]


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOpt = None, output: OutputOpt = None) -> None:
    """List pipelines (the default one first).

    \b
    Example: salescli pipeline list
    """
    from salescli.render import Column, pick_format, render_rows
    from salescli.services.pipeline import pipeline_view

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    columns = [
        Column("id", justify="right"),
        Column("name"),
        Column("default", show=lambda v, r: "default" if v else ""),
        Column("stage_count", "stages", justify="right"),  # (show: the stages themselves)
        Column("open_deals", "open deals", justify="right"),
        Column("deals", justify="right"),
        Column("created_at", in_table=False),
    ]
    render_rows((pipeline_view(p) for p in repo.pipelines()), columns, fmt=chosen, output=output,
                empty="no pipelines")


@app.command("show")
def show(
    ctx: typer.Context,
    pipeline: Annotated[str | None, typer.Argument(help="Pipeline name or id (default: the default one).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Show a pipeline's stages: position, probability, kind, rot days, required fields, deals.

    CSV is one row per stage (the pipeline's own fields are `pipeline list`'s).

    \b
    Example: salescli pipeline show Default
    Example: salescli pipeline show Default -f csv
    """
    from salescli.render import pick_format, render_record, render_rows
    from salescli.services.pipeline import pipeline_view, resolve_pipeline, stage_view

    chosen = pick_format(fmt, output)
    repo = app_context(ctx).repo()
    row = resolve_pipeline(repo, pipeline)
    listed = next(p for p in repo.pipelines() if p["id"] == row["id"])
    stages = [stage_view(s) for s in repo.stages(row["id"])]
    if chosen == "csv":  # a record's sections have no place in one CSV table: the stages are what it shows
        render_rows(stages, stage_columns(), fmt=chosen, output=output, table_limit=None)
        return
    render_record(pipeline_view(listed), fmt=chosen, output=output, title=f"Pipeline {row['name']}",
                  labels={"stage_count": "stages"},
                  sections={"stages": (stage_columns(), stages)})


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Pipeline name (\"Renewals\").")],
    stages: Annotated[
        str | None,
        typer.Option("--stages", help='NAME:PROBABILITY[:KIND[:ROT_DAYS]],… e.g. "Discovery:10,Demo:40,Won:100:won,'
                                      'Lost:0:lost" (default: the seven standard stages).'),
    ] = None,
    default: Annotated[bool, typer.Option("--default", help="Make it the default pipeline.")] = False,
) -> None:
    """Add a pipeline with its stages; prints its id.

    \b
    Example:
      salescli pipeline add Renewals --stages "Due:30,Won:100:won,Lost:0:lost"
    """
    from salescli.services.pipeline import add_pipeline, parse_stages

    specs = parse_stages(stages) if stages is not None else None
    app = app_context(ctx)
    row = add_pipeline(app.repo(create=True), name, specs, make_default=default)
    flush_notices(app)
    say(f"added pipeline {row['id']} {row['name']}" + (" (default)" if row["is_default"] else ""))
    typer.echo(row["id"])


@app.command("set-default")
def set_default(ctx: typer.Context, pipeline: PipelineArg) -> None:
    """Make a pipeline the default one (new deals go there unless --pipeline).

    \b
    Example: salescli pipeline set-default Default
    """
    from salescli.services.pipeline import set_default_pipeline

    row = set_default_pipeline(app_context(ctx).repo(create=True), pipeline)
    say(f"default pipeline: {row['name']}")


def _rot(text: str | None) -> Any:
    from salescli.services.pipeline import UNSET
    from salescli.values import parse_int

    if text is None:
        return UNSET
    if text.strip().lower() in ("", "none", "default"):
        return None
    return parsed(parse_int, text, "--rot-days", minimum=1, maximum=3650)


def _int(text: str | None, option: str, **bounds: int) -> int | None:
    from salescli.values import parse_int

    return None if text is None else parsed(parse_int, text, option, **bounds)


def _probability(text: str | None) -> int | None:
    from salescli.values import parse_probability

    return None if text is None else parsed(parse_probability, text, "--probability")


@app.command("rename")
def rename(
    ctx: typer.Context,
    pipeline: PipelineArg,
    name: Annotated[str, typer.Argument(help="Its new name.")],
) -> None:
    """Rename a pipeline (deals, stages and forecast snapshots stay with it).

    \b
    Example: salescli pipeline rename Default "New business"
    """
    from salescli.services.pipeline import rename_pipeline

    row, old = rename_pipeline(app_context(ctx).repo(), pipeline, name)
    say(f"renamed pipeline {old} to {row['name']}" if old != row["name"] else f"pipeline {old}: nothing changed")


@app.command("rm")
def rm(ctx: typer.Context, pipeline: PipelineArg, yes: YesOpt = False) -> None:
    """Delete a pipeline and its stages: one nothing uses (no deals, no deal's history, no forecast snapshot;
    not the default). Asks first; --yes in scripts.

    \b
    Example: salescli pipeline add Trial && salescli pipeline rm Trial --yes
    """
    from salescli.services.pipeline import pipeline_removal, remove_pipeline

    app = app_context(ctx)
    repo = app.repo()
    row = pipeline_removal(repo, pipeline)  # (refused before anything is asked)
    confirm(f"Delete pipeline {row['name']} and its {len(repo.stage_names(row['id']))} stages?", yes)
    remove_pipeline(repo, pipeline)
    say(f"deleted pipeline {row['name']}")
    flush_notices(app)  # (automations left on a stage name no stage has)


@app.command("stage-add")
def stage_add(
    ctx: typer.Context,
    pipeline: PipelineArg,
    name: Annotated[str, typer.Argument(help="New stage name.")],
    probability: ProbabilityOpt = None,
    kind: KindOpt = None,
    rot_days: RotOpt = None,
    require: RequireOpt = None,
    position: PositionOpt = None,
    after: AfterOpt = None,
    before: BeforeOpt = None,
) -> None:
    """Add a stage (an open one goes before the closing stages unless placed).

    \b
    Example: salescli pipeline stage-add Default Demo -p 30 --after Qualification
    """
    from salescli.services.pipeline import StageSpec, add_stage, parse_kind, parse_required

    the_kind = parse_kind(kind) if kind is not None else "open"
    prob = _probability(probability)
    if prob is None:
        prob = {"won": 100, "lost": 0}.get(the_kind)
    if prob is None:
        from salescli.errors import UsageError

        raise UsageError("--probability is required for an open stage (0-100)")
    rot = _rot(rot_days)
    spec = StageSpec(name, prob, the_kind, None if rot is None or not isinstance(rot, int) else rot,
                     parse_required(require) if require is not None else [])
    app = app_context(ctx)
    pipe, stage = add_stage(app.repo(create=True), pipeline, spec, position=_int(position, "--position", minimum=1),
                            after=after, before=before)
    say(f"added stage {stage['name']} to pipeline {pipe['name']} at position {stage['position']}")


@app.command("stage-edit")
def stage_edit(
    ctx: typer.Context,
    pipeline: PipelineArg,
    stage: StageArg,
    name: Annotated[str | None, typer.Option("--name", help="Rename the stage.")] = None,
    probability: ProbabilityOpt = None,
    kind: KindOpt = None,
    rot_days: Annotated[
        str | None, typer.Option("--rot-days", help="Days idle before stale ('' = the default).")
    ] = None,
    require: RequireOpt = None,
    position: PositionOpt = None,
    after: AfterOpt = None,
    before: BeforeOpt = None,
) -> None:
    """Change a stage; open deals whose probability follows the stage take the new one.

    \b
    Example:
      salescli pipeline stage-edit Default Proposal --require amount,contact
    """
    from salescli.services.pipeline import edit_stage, parse_kind, parse_required

    app = app_context(ctx)
    pipe, row, changed, followed = edit_stage(
        app.repo(create=True), pipeline, stage, name=name, probability=_probability(probability),
        kind=parse_kind(kind) if kind is not None else None, rot_days=_rot(rot_days),
        required=parse_required(require) if require is not None else None,
        position=_int(position, "--position", minimum=1), after=after, before=before,
    )
    if changed:
        follow = f"; {followed} open deal{'s follow' if followed != 1 else ' follows'} the new probability"
        named = changed_fields(row, changed, {"rot_days": "rot-days", "required_fields": "require"},
                               {"probability", "kind", "rot_days", "position"},
                               lambda key, value: f"{value}%" if key == "probability" else None)
        say(f"updated stage {row['name']} of pipeline {pipe['name']}: {', '.join(named)}"
            + (follow if followed else ""))
        flush_notices(app)  # (the automations that follow a rename)
    else:
        say(f"stage {row['name']}: nothing changed")


@app.command("stage-rm")
def stage_rm(
    ctx: typer.Context,
    pipeline: PipelineArg,
    stage: StageArg,
    move_to: Annotated[
        str | None, typer.Option("--move-to", help="Stage that takes its deals and stage history.")
    ] = None,
    yes: YesOpt = False,
) -> None:
    """Remove a stage; one that holds deals (or appears in stage history) needs --move-to, and asks
    first (--yes without a terminal): their history then reads as if they had been in that stage.

    \b
    Example:
      salescli pipeline stage-rm Default Proposal --move-to Negotiation --yes
    """
    from salescli.services.pipeline import remove_stage, stage_usage

    repo = app_context(ctx).repo(create=True)
    if move_to is not None:
        row, into, deals, history = stage_usage(repo, pipeline, stage, move_to)
        if deals:
            confirm(f"Remove stage {row['name']} and move its {deals} deal{'s' if deals != 1 else ''} into"
                    f" {into['name']} (the stage history too)?", yes)
        elif history:
            confirm(f"Remove stage {row['name']} and rewrite the stage history that names it as {into['name']}?", yes)
    pipe, row, moved, target = remove_stage(repo, pipeline, stage, move_to)
    say(f"removed stage {row['name']} from pipeline {pipe['name']}"
        + (f"; {moved} deal{'s' if moved != 1 else ''} moved to {target['name']}" if target and moved else ""))
    flush_notices(app_context(ctx))
