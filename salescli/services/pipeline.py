"""Pipeline rules shared by deals, imports and reports: forecast categories, stage kinds and rules,
resolving pipelines and stages by name, and managing them (pipeline add, stage-add/edit/rm)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salescli.errors import InvalidValue, NotFound, RuleError, RuleValue, UsageError

if TYPE_CHECKING:
    from salescli.repository import Repository
    from salescli.repository.base import Row

FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted", "closed")
OPEN_CATEGORIES = ("pipeline", "best_case", "commit", "omitted")

# Salesforce ForecastCategoryName / HubSpot / free text -> ours.
_CATEGORY_ALIASES = {
    "pipeline": "pipeline",
    "best case": "best_case",
    "best_case": "best_case",
    "bestcase": "best_case",
    "upside": "best_case",
    "commit": "commit",
    "committed": "commit",
    "forecast": "commit",
    "omitted": "omitted",
    "omit": "omitted",
    "not forecasted": "omitted",  # HubSpot's label for OMIT
    "not forecast": "omitted",
    "closed": "closed",
    "closed won": "closed",
    "closed lost": "closed",
}


def default_forecast_category(probability: int, status: str = "open") -> str:
    """Derived category: closed deals are 'closed'; open ones by probability (≥80 commit, ≥50 best_case)."""
    if status != "open":
        return "closed"
    if probability >= 80:
        return "commit"
    if probability >= 50:
        return "best_case"
    return "pipeline"


def normalize_forecast_category(text: str) -> str | None:
    """Our category for a typed or imported one; None when unknown."""
    return _CATEGORY_ALIASES.get(" ".join(text.strip().lower().replace("-", " ").split()))


def status_of_kind(kind: str) -> str:
    """A stage's kind is the deal's status: open, won or lost."""
    return kind


# ---------------------------------------------------------------------------------------------
# Pipelines and stages: definitions, rules, resolution, management
# ---------------------------------------------------------------------------------------------
STAGE_KINDS = ("open", "won", "lost")
LOST_CATEGORIES = ("competitor", "no_decision", "disqualified", "price", "timing", "other")

#: What a stage may require of a deal entering it -> the deals column that must be filled.
REQUIRED_FIELDS: dict[str, str] = {
    "amount": "amount_minor",
    "expected_close": "expected_close",
    "company": "company_id",
    "contact": "contact_id",
    "owner": "owner",
    "source": "source",
    "next_step": "next_step",
    "next_step_date": "next_step_date",
}
_REQUIRED_ALIASES = {"close": "expected_close", "close_date": "expected_close", "value": "amount"}
#: The option of `deal edit` that fills each required field (for hints).
REQUIRED_OPTIONS: dict[str, str] = {
    "amount": "--amount", "expected_close": "--close", "company": "--company", "contact": "--contact",
    "owner": "--owner", "source": "--source", "next_step": "--next-step", "next_step_date": "--next-step-date",
}


@dataclass(frozen=True)
class StageSpec:
    """A stage to create: name, probability, kind, rot days, required fields."""

    name: str
    probability: int
    kind: str = "open"
    rot_days: int | None = None
    required: list[str] = field(default_factory=list)


#: The seven-step sales process (the same as the pipeline seeded into every new database).
DEFAULT_STAGES: list[StageSpec] = [
    StageSpec("Prospecting", 10),
    StageSpec("Qualification", 20),
    StageSpec("Needs Analysis", 40),
    StageSpec("Proposal", 60, required=["amount", "expected_close"]),
    StageSpec("Negotiation", 80, required=["amount", "expected_close"]),
    StageSpec("Won", 100, "won"),
    StageSpec("Lost", 0, "lost"),
]


def parse_required(text: str, option: str = "--require") -> list[str]:
    """'amount, close' -> ['amount', 'expected_close']; '' or 'none' -> []."""
    out: list[str] = []
    for part in text.replace(";", ",").split(","):
        key = "_".join(part.strip().lower().replace("-", " ").split())
        if not key or key == "none":
            continue
        key = _REQUIRED_ALIASES.get(key, key)
        if key not in REQUIRED_FIELDS:
            raise InvalidValue(option, part.strip(),
                               f"is not a field a stage can require ({', '.join(REQUIRED_FIELDS)})")
        if key not in out:
            out.append(key)
    return out


def parse_kind(text: str, option: str = "--kind") -> str:
    kind = text.strip().lower()
    if kind not in STAGE_KINDS:
        raise InvalidValue(option, text, f"is not one of {', '.join(STAGE_KINDS)}")
    return kind


def parse_lost_category(text: str) -> str:
    key = "_".join(text.strip().lower().replace("-", " ").split())
    if key not in LOST_CATEGORIES:
        raise InvalidValue("--category", text, f"is not one of {', '.join(LOST_CATEGORIES)}")
    return key


def parse_stages(text: str) -> list[StageSpec]:
    """--stages "Discovery:10,Demo:40,Won:100:won,Lost:0:lost" (NAME:PROBABILITY[:KIND[:ROT_DAYS]]).

    A stage named Won or Lost without a kind takes that kind. Raises InvalidValue naming --stages.
    """
    from salescli.values import parse_int, parse_probability

    specs: list[StageSpec] = []
    for part in text.split(","):
        if not part.strip():
            continue
        bits = [b.strip() for b in part.split(":")]
        if len(bits) < 2 or len(bits) > 4 or not bits[0]:
            raise InvalidValue("--stages", part.strip(), "is not NAME:PROBABILITY[:KIND[:ROT_DAYS]] (Demo:40)")
        name = bits[0]
        try:
            probability = parse_probability(bits[1])
            kind = parse_kind(bits[2]) if len(bits) > 2 and bits[2] else _kind_from_name(name)
            rot = parse_int(bits[3], minimum=1) if len(bits) > 3 and bits[3] else None
        except InvalidValue as exc:
            raise InvalidValue("--stages", part.strip(), f'has "{exc.value}" that {exc.reason}') from None
        if any(s.name.lower() == name.lower() for s in specs):
            raise RuleValue("--stages", name, "appears twice")
        specs.append(StageSpec(name, probability, kind, rot))
    if not any(s.kind == "open" for s in specs):
        raise RuleValue("--stages", text, "has no open stage (example: Discovery:10,Demo:40,Won:100,Lost:0)")
    closed = next((s for s in specs if s.kind != "open"), None)
    late = next((s for s in specs[specs.index(closed):] if s.kind == "open"), None) if closed else None
    if closed is not None and late is not None:
        raise RuleValue("--stages", late.name, f"is an open stage after the {closed.kind} stage {closed.name}:"
                                               " won and lost stages go last")
    for spec in specs:
        _check_closed_probability(spec.kind, spec.probability, "--stages", spec.name)
    return specs


def _check_closed_probability(kind: str, probability: int, field: str, name: str) -> None:
    """A won stage is 100%, a lost one 0%: the probability of a deal closed there."""
    wanted = {"won": 100, "lost": 0}.get(kind)
    if wanted is not None and probability != wanted:
        shown = f"{name}:{probability}" if field == "--stages" else str(probability)
        raise RuleValue(field, shown, f"is not the probability of the {kind} stage {name}: it is {wanted}")


def _check_order(repo: Repository, pipeline: Row, stage_id: int) -> None:
    """Open stages come first, won and lost ones last (a funnel and `deal move`'s order read them so): checked
    for the stage just placed (a pipeline already out of order elsewhere does not block every change)."""
    stages = repo.stages(pipeline["id"])
    index = next(i for i, s in enumerate(stages) if s["id"] == stage_id)
    stage = stages[index]
    if stage["kind"] == "open":
        closed = next((s for s in stages[:index] if s["kind"] != "open"), None)
        if closed is not None:
            raise RuleError(f"stage {stage['name']} (open) would come after the {closed['kind']} stage"
                            f" {closed['name']} in pipeline {pipeline['name']}: won and lost stages go last",
                            hint=f"place it with --before {closed['name']}")
    else:
        late = next((s for s in stages[index + 1:] if s["kind"] == "open"), None)
        if late is not None:
            last_open = [s for s in stages if s["kind"] == "open" and s["id"] != stage_id][-1]
            raise RuleError(f"the {stage['kind']} stage {stage['name']} would come before the open stage"
                            f" {late['name']} in pipeline {pipeline['name']}: won and lost stages go last",
                            hint=f"place it with --after {last_open['name']}")


def _kind_from_name(name: str) -> str:
    lowered = name.strip().lower()
    if lowered in ("won", "closed won", "closed-won"):
        return "won"
    if lowered in ("lost", "closed lost", "closed-lost"):
        return "lost"
    return "open"


def required_of(stage: Row) -> list[str]:
    raw = stage.get("required_fields")
    return list(json.loads(raw)) if raw else []


def missing_fields(values: dict[str, Any], required: list[str]) -> list[str]:
    """The required fields (names as in REQUIRED_FIELDS) that are empty in a deal's column values."""
    out = []
    for name in required:
        column = REQUIRED_FIELDS.get(name, name)
        value = values.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            out.append(name)
    return out


# -- resolution ------------------------------------------------------------------------------
def resolve_pipeline(repo: Repository, ref: str | None, field_name: str = "pipeline") -> Row:
    """The pipeline named by id or name (any case); the default pipeline when ref is None. Unknown: exit 3."""
    if ref is None:
        row = repo.default_pipeline()
        if row is None:
            raise NotFound("there is no pipeline", hint='create one: salescli pipeline add "New business"')
        return row
    text = ref.strip()
    row = repo.pipeline_named(text)
    if row is None and text.isascii() and text.isdigit() and len(text) < 19:
        row = repo.pipeline(int(text))
    if row is None:
        names = ", ".join(p["name"] for p in repo.pipelines()) or "none"
        raise NotFound(f'{field_name} "{ref}" not found (pipelines: {names})',
                       hint="list them with `salescli pipeline list`")
    return row


def loosely_named(name: str, names: list[str]) -> str | None:
    """The one of names that reads as name without its case, spaces and punctuation (`needs-analysis` for Needs
    Analysis); None when none or several do."""
    from salescli.values import loose_key

    key = loose_key(name)
    same = [n for n in names if loose_key(n) == key] if key else []
    return same[0] if len(same) == 1 else None


def resolve_stage(repo: Repository, pipeline: Row, name: str, field_name: str = "stage") -> Row:
    """A stage of the pipeline by name (any case; `needs-analysis` is Needs Analysis when only one stage
    reads so without spaces and punctuation). Unknown: exit 3, listing the valid ones, with the closest."""
    from salescli.values import closest

    row = repo.stage_named(pipeline["id"], name.strip())
    if row is not None:
        return row
    every = repo.stage_names(pipeline["id"])
    spelled = loosely_named(name, every)
    if spelled is not None:
        found = repo.stage_named(pipeline["id"], spelled)
        assert found is not None
        return found
    near = closest(name, every, 0.75)
    raise NotFound(f'{field_name} "{name}" not found in pipeline {pipeline["name"]} (stages: {", ".join(every)})',
                   hint=f'did you mean "{near}"?' if near else None)


def first_stage(repo: Repository, pipeline: Row, kind: str = "open") -> Row:
    for stage in repo.stages(pipeline["id"]):
        if stage["kind"] == kind:
            return stage
    raise RuleError(f"pipeline {pipeline['name']} has no {kind} stage",
                    hint=f"add one: salescli pipeline stage-add \"{pipeline['name']}\" NAME --kind {kind}")


# -- management ------------------------------------------------------------------------------
def _stage_values(pipeline_id: int, spec: StageSpec, position: int) -> dict[str, Any]:
    return {
        "pipeline_id": pipeline_id, "name": spec.name, "position": position, "probability": spec.probability,
        "kind": spec.kind, "rot_days": spec.rot_days, "required_fields": json.dumps(spec.required),
    }


def add_pipeline(
    repo: Repository, name: str, stages: list[StageSpec] | None = None, make_default: bool = False
) -> Row:
    """Create a usable pipeline: the given stages (a Won and a Lost stage are added when missing),
    else the seven default ones. Names are unique (any case)."""
    name = _pipeline_name(name)
    specs = list(stages) if stages else list(DEFAULT_STAGES)
    added = []
    for kind, label, prob in (("won", "Won", 100), ("lost", "Lost", 0)):
        if not any(s.kind == kind for s in specs):
            if any(s.name.lower() == label.lower() for s in specs):
                raise InvalidValue("--stages", label, f"is an open stage but the pipeline needs a {kind} stage")
            specs.append(StageSpec(label, prob, kind))
            added.append(label)
    with repo.write():
        if repo.pipeline_named(name) is not None:
            raise RuleError(f'pipeline "{name}" already exists')
        pipeline_id = repo.create_record("pipelines", "pipeline", {
            "name": name, "is_default": 0, "created_at": repo.now(),
        })
        for pos, spec in enumerate(specs, start=1):
            repo.create_record("stages", "stage", _stage_values(pipeline_id, spec, pos))
        current = repo.default_pipeline()
        if make_default or current is None or not current["is_default"]:
            repo.set_default_pipeline(pipeline_id)
    if added:
        repo.notices.append(f"added closing stage{'s' if len(added) > 1 else ''} {' and '.join(added)}"
                            " (a pipeline needs a won and a lost stage)")
    row = repo.pipeline(pipeline_id)
    assert row is not None
    return row


def _pipeline_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidValue("NAME", name, "is empty")
    if name.isascii() and name.isdigit():  # (a number names the pipeline of that id: this one would hide it)
        raise InvalidValue("NAME", name, "is a number, which names the pipeline of that id: give it a word")
    if len(name) > 200:
        raise InvalidValue("NAME", name[:40] + "…", "is too long (at most 200 characters)")
    return name


def rename_pipeline(repo: Repository, ref: str, new_name: str) -> tuple[Row, str]:
    """A pipeline's new name (unique in any case); forecast snapshots taken of it follow. Returns the pipeline
    and its old name."""
    name = _pipeline_name(new_name)
    with repo.write():
        row = resolve_pipeline(repo, ref)
        other = repo.pipeline_named(name)
        if other is not None and other["id"] != row["id"]:
            raise RuleError(f'pipeline "{other["name"]}" already exists')
        if repo.change_record("pipelines", "pipeline", row["id"], {"name": name}):
            repo.rename_in_snapshot_scopes(row["name"], name)
        renamed = repo.pipeline(row["id"])
    assert renamed is not None
    return renamed, row["name"]


def pipeline_removal(repo: Repository, ref: str) -> Row:
    """Check a `pipeline rm` before anything is asked or written: not the default one, and nothing uses it (no
    deal in it, no deal's history through it, no forecast snapshot of it: those keep it)."""
    row = resolve_pipeline(repo, ref)
    if row["is_default"]:
        raise RuleError(f"pipeline {row['name']} is the default one",
                        hint="make another the default first: salescli pipeline set-default NAME")
    use = repo.pipeline_use(row["id"], row["name"])
    if use["deals"]:
        n = use["deals"]
        raise RuleError(f"pipeline {row['name']} holds {n} deal{'s' if n != 1 else ''}",
                        hint="move them to another pipeline first: salescli deal move ID STAGE --pipeline NAME")
    if use["history"]:
        n = use["history"]
        raise RuleError(f"the stage history of {n} deal{'s' if n != 1 else ''} passes through pipeline"
                        f" {row['name']}: it stays, as their history does")
    if use["snapshots"]:
        n = use["snapshots"]
        raise RuleError(f"{n} forecast snapshot{'s were' if n != 1 else ' was'} taken of pipeline {row['name']}:"
                        " it stays, for `report forecast-accuracy`")
    return row


def remove_pipeline(repo: Repository, ref: str) -> Row:
    """Delete a pipeline nothing uses (see pipeline_removal) and its stages, each delete logged."""
    with repo.write():
        row = pipeline_removal(repo, ref)
        names = repo.stage_names(row["id"])
        repo.delete_pipelines([row["id"]])
        _note_idle_rules(repo, names)
    return row


def set_default_pipeline(repo: Repository, ref: str) -> Row:
    with repo.write():
        row = resolve_pipeline(repo, ref)
        if not row["is_default"]:
            repo.set_default_pipeline(row["id"])
    return row


def _check_stage_name(repo: Repository, pipeline: Row, name: str, own_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise InvalidValue("NAME", name, "is empty")
    if ":" in name or "," in name or len(name) > 100:
        raise InvalidValue("NAME", name, "is not a stage name (no ':' or ',', at most 100 characters)")
    other = repo.stage_named(pipeline["id"], name)
    if other is not None and other["id"] != own_id:
        raise RuleError(f'stage "{other["name"]}" already exists in pipeline {pipeline["name"]}')
    return name


def _one_place(position: int | None, after: str | None, before: str | None) -> None:
    given = [o for o, v in (("--position", position), ("--after", after), ("--before", before)) if v is not None]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} each place the stage: give one")


def _placed(order: list[int], stage_id: int, position: int | None, after: Row | None, before: Row | None) -> list[int]:
    rest = [sid for sid in order if sid != stage_id]
    if after is not None:
        index = rest.index(after["id"]) + 1
    elif before is not None:
        index = rest.index(before["id"])
    elif position is not None:
        index = max(0, min(position - 1, len(rest)))
    else:
        return order
    return rest[:index] + [stage_id] + rest[index:]


def add_stage(
    repo: Repository,
    pipeline_ref: str,
    spec: StageSpec,
    *,
    position: int | None = None,
    after: str | None = None,
    before: str | None = None,
) -> tuple[Row, Row]:
    """Add a stage; an open stage goes before the first closed one unless --position/--after/--before."""
    _one_place(position, after, before)
    _check_closed_probability(spec.kind, spec.probability, "--probability", spec.name)
    with repo.write():
        pipeline = resolve_pipeline(repo, pipeline_ref)
        name = _check_stage_name(repo, pipeline, spec.name)
        after_row = resolve_stage(repo, pipeline, after, "--after") if after else None
        before_row = resolve_stage(repo, pipeline, before, "--before") if before else None
        stages = repo.stages(pipeline["id"])
        new_id = repo.create_record("stages", "stage", _stage_values(
            pipeline["id"], StageSpec(name, spec.probability, spec.kind, spec.rot_days, spec.required),
            len(stages) + 1000,
        ))
        order = [s["id"] for s in stages]
        if position is None and after_row is None and before_row is None:
            closed = [i for i, s in enumerate(stages) if s["kind"] != "open"]
            index = closed[0] if spec.kind == "open" and closed else len(order)
            order = order[:index] + [new_id] + order[index:]
        else:
            order = _placed(order + [new_id], new_id, position, after_row, before_row)
        repo.renumber_stages(pipeline["id"], order)
        _check_order(repo, pipeline, new_id)
    stage = repo.stage(new_id)
    assert stage is not None
    return pipeline, stage


UNSET: Any = object()


def edit_stage(
    repo: Repository,
    pipeline_ref: str,
    stage_name: str,
    *,
    name: str | None = None,
    probability: int | None = None,
    kind: str | None = None,
    rot_days: int | None = UNSET,
    required: list[str] | None = None,
    position: int | None = None,
    after: str | None = None,
    before: str | None = None,
) -> tuple[Row, Row, dict[str, Any], int]:
    """Change a stage. Open deals whose probability follows the stage take a new probability.

    Returns (pipeline, stage, changed fields, deals whose probability followed).
    """
    _one_place(position, after, before)
    followed = 0
    with repo.write():
        pipeline = resolve_pipeline(repo, pipeline_ref)
        stage = resolve_stage(repo, pipeline, stage_name)
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _check_stage_name(repo, pipeline, name, stage["id"])
        if probability is not None:
            values["probability"] = probability
        if kind is not None and kind != stage["kind"]:
            held = len(repo.deals_in_stage(stage["id"]))
            if held:
                raise RuleError(f"stage {stage['name']} holds {held} deal{'s' if held != 1 else ''};"
                                f" its kind ({stage['kind']}) cannot change",
                                hint="move them first, or add a new stage")
            refs = repo.stage_history_refs(stage["id"])
            if refs:  # (a won deal's history would read as entering a lost stage, say)
                raise RuleError(f"stage {stage['name']} appears in the stage history of deals ({refs}"
                                f" entr{'ies' if refs != 1 else 'y'}); its kind ({stage['kind']}) cannot change",
                                hint=f"add a new {kind} stage: salescli pipeline stage-add")
            if probability is None and kind in ("won", "lost") and stage["probability"] != (100 if kind == "won"
                                                                                            else 0):
                raise RuleValue("--kind", kind, f"needs the probability of a {kind} stage: its {stage['probability']}%"
                                f" would be wrong; pass -p {100 if kind == 'won' else 0} too")
            _check_kinds_remain(repo, pipeline, stage, kind)
            values["kind"] = kind
        if rot_days is not UNSET:
            values["rot_days"] = rot_days
        if required is not None:
            values["required_fields"] = json.dumps(required)
        changed = repo.change_record("stages", "stage", stage["id"], values)
        if "name" in changed:
            _rules_follow_rename(repo, stage["id"], stage["name"], changed["name"])
        if "probability" in changed and stage["kind"] == "open":
            followed = repo.follow_stage_probability(stage["id"], probability or 0,
                                                     default_forecast_category(probability or 0))
            if followed:
                repo.record_change("stage", stage["id"], "deals follow probability", None,
                                   {"probability": probability, "deals": followed})
        if position is not None or after or before:
            after_row = resolve_stage(repo, pipeline, after, "--after") if after else None
            before_row = resolve_stage(repo, pipeline, before, "--before") if before else None
            order = [s["id"] for s in repo.stages(pipeline["id"])]
            new_order = _placed(order, stage["id"], position, after_row, before_row)
            if new_order != order:
                repo.renumber_stages(pipeline["id"], new_order)
                new_position = new_order.index(stage["id"]) + 1
                repo.record_change("stage", stage["id"], "update", {"position": stage["position"]},
                                   {"position": new_position})
                changed["position"] = new_position
        if "kind" in changed or "position" in changed:
            _check_order(repo, pipeline, stage["id"])
        if "kind" in changed or "probability" in changed:
            final = repo.stage(stage["id"]) or stage
            _check_closed_probability(final["kind"], final["probability"], "--probability", final["name"])
    row = repo.stage(stage["id"])
    assert row is not None
    return pipeline, row, changed, followed


def _rules_follow_rename(repo: Repository, stage_id: int, old: str, new: str) -> None:
    """Automations name the stage they run on (`stage:Negotiation`, in any pipeline): they follow its rename,
    unless another stage still has the old name (they keep running there) or already has the new one (following
    would start them in that stage too); the notice says which."""
    rules = repo.automations_for("stage", old)
    if not rules or old.casefold() == new.casefold():  # (rules match stage names in any case)
        return
    for rule in rules:
        if repo.stage_names_like(old, stage_id):
            repo.notices.append(f"note: automation {rule['id']} stays on stage:{rule['stage_name']} (another"
                                f" pipeline has a stage of that name); `automation add --on stage:{new}` for this one")
        elif repo.stage_names_like(new, stage_id):
            repo.notices.append(f"note: automation {rule['id']} stays on stage:{rule['stage_name']}, which no stage"
                                f" has now: on stage:{new} it would run in another pipeline's {new} too;"
                                f" `automation add --on stage:{new}` if it should")
        else:
            repo.change_record("automations", "automation", rule["id"], {"stage_name": new})
            repo.notices.append(f"automation {rule['id']} now runs on stage:{new} (was stage:{rule['stage_name']})")


def _note_idle_rules(repo: Repository, names: list[str]) -> None:
    """After stages were removed: automations on a stage name that no stage has any more never run."""
    for name in names:
        if repo.stage_names_like(name):
            continue
        for rule in repo.automations_for("stage", name):
            repo.notices.append(f"note: automation {rule['id']} runs on stage:{rule['stage_name']}, which no stage"
                                f" has now: `salescli automation rm {rule['id']}` if it is done")


def _check_kinds_remain(repo: Repository, pipeline: Row, leaving: Row, new_kind: str | None) -> None:
    """A pipeline keeps at least one open, one won and one lost stage."""
    kinds = [s["kind"] for s in repo.stages(pipeline["id"]) if s["id"] != leaving["id"]]
    if new_kind:
        kinds.append(new_kind)
    for kind in STAGE_KINDS:
        if kind not in kinds:
            raise RuleError(f"pipeline {pipeline['name']} needs at least one {kind} stage;"
                            f" {leaving['name']} is its last one")


def stage_usage(repo: Repository, pipeline_ref: str, stage_name: str, move_to: str) -> tuple[Row, Row, int, int]:
    """Before removing a stage into move_to: the stage, move_to's (checked), the stage's deals and the stage
    history entries that name it (what the move rewrites)."""
    pipeline = resolve_pipeline(repo, pipeline_ref)
    stage = resolve_stage(repo, pipeline, stage_name)
    target = _move_target(repo, pipeline, stage, move_to)
    return stage, target, len(repo.deals_in_stage(stage["id"])), repo.stage_history_refs(stage["id"])


def _move_target(repo: Repository, pipeline: Row, stage: Row, move_to: str) -> Row:
    target = resolve_stage(repo, pipeline, move_to, "--move-to")
    if target["id"] == stage["id"]:
        raise RuleError(f"--move-to names the stage being removed ({stage['name']})")
    if target["kind"] != stage["kind"]:
        raise RuleError(f"--move-to {target['name']} is a {target['kind']} stage but {stage['name']}"
                        f" is {stage['kind']}; deals would change status",
                        hint=f"pick a {stage['kind']} stage")
    return target


def remove_stage(
    repo: Repository, pipeline_ref: str, stage_name: str, move_to: str | None = None
) -> tuple[Row, Row, int, Row | None]:
    """Remove a stage. Its deals and stage history move to --move-to (same kind, same pipeline);
    a stage that holds deals or appears in stage history cannot go without it.

    Returns (pipeline, removed stage, deals moved, target stage).
    """
    with repo.write():
        pipeline = resolve_pipeline(repo, pipeline_ref)
        stage = resolve_stage(repo, pipeline, stage_name)
        _check_kinds_remain(repo, pipeline, stage, None)
        held = repo.deals_in_stage(stage["id"])
        refs = repo.stage_history_refs(stage["id"])
        target = None
        moved = 0
        if move_to is not None:
            target = _move_target(repo, pipeline, stage, move_to)
            moved = repo.merge_stage(stage["id"], target["id"], pipeline["id"], target["probability"],
                                     default_forecast_category(target["probability"], target["kind"]))
            if moved:
                repo.record_change("stage", stage["id"], "move deals", {"stage": stage["name"], "deals": held},
                                   {"stage": target["name"], "deals": held})
                _note_moved_deals(repo, held, stage, target)
        elif held:
            raise RuleError(f"stage {stage['name']} holds {len(held)} deal{'s' if len(held) != 1 else ''}",
                            hint=f"pass --move-to STAGE to move them (stages: "
                                 f"{', '.join(n for n in repo.stage_names(pipeline['id']) if n != stage['name'])})")
        elif refs:
            raise RuleError(f"stage {stage['name']} appears in the stage history of deals"
                            f" ({refs} entr{'ies' if refs != 1 else 'y'})",
                            hint="pass --move-to STAGE to merge its history into another stage")
        repo.delete_record("stages", "stage", stage["id"])
        repo.renumber_stages(pipeline["id"], [s["id"] for s in repo.stages(pipeline["id"])])
        _note_idle_rules(repo, [stage["name"]])
    return pipeline, stage, moved, target


def _note_moved_deals(repo: Repository, ids: list[int], stage: Row, target: Row) -> None:
    """What a move into another stage changed beyond the stage: probabilities that follow it, and what the new
    stage requires that deals lack (a merge is no `deal move`: its rules are not applied, `db check` lists them)."""
    deals = [d for d in (repo.deal(i) for i in ids) if d is not None and d["status"] == "open"]
    following = sum(1 for d in deals if not d["probability_set"])
    if following and stage["probability"] != target["probability"]:
        many = following != 1
        repo.notices.append(f"note: {following} open deal{'s' if many else ''} now weigh{'' if many else 's'}"
                            f" {target['name']}'s {target['probability']}% (was {stage['probability']}%)")
    lacking = [d["id"] for d in deals if missing_fields(d, required_of(target))]
    if lacking:
        n = len(lacking)
        repo.notices.append(f"note: {n} deal{'s' if n != 1 else ''} moved lack{'' if n != 1 else 's'} what"
                            f" {target['name']} requires ({', '.join(required_of(target))}): salescli db check lists"
                            f" {'them' if n != 1 else 'it'}")


def stage_view(stage: Row) -> dict[str, Any]:
    return {
        "position": stage["position"],
        "name": stage["name"],
        "probability": stage["probability"],
        "kind": stage["kind"],
        "rot_days": stage["rot_days"],
        "required_fields": required_of(stage),
        "deals": stage.get("deals"),
        "open_deals": stage.get("open_deals"),
        "id": stage["id"],
    }


def pipeline_view(pipeline: Row) -> dict[str, Any]:
    return {
        "id": pipeline["id"],
        "name": pipeline["name"],
        "default": bool(pipeline["is_default"]),
        "stage_count": pipeline.get("stage_count"),
        "open_deals": pipeline.get("open_deals"),
        "deals": pipeline.get("deals"),
        "created_at": pipeline["created_at"],
    }
