"""`salescli insights`: the plain rules a sales coach applies, each with the numbers behind it.

- stuck: an open, unparked deal in its stage more than STUCK_FACTOR x the median time deals spend there
  (median over the stays that began in the last year and have ended, from the stage history; at
  least MIN_STAYS of them);
- pushed: an open deal whose expected close was moved later at least PUSHES times (change log);
- quiet: an open, unparked deal worth at least BIG_FACTOR x the median open-deal amount (base currency) with
  no activity for QUIET_DAYS days (idle since its last activity or its entry into its stage, whichever is
  later: as `report stale` and `today` count);
- rep win rate / rep activity: a rep whose win rate (deals closed in the period, at least
  MIN_CLOSED) or number of activities is below REP_FACTOR x the median of their team (everyone when
  they have no team; at least MIN_REPS reps to compare);
- stage probability: a stage whose configured probability is PROBABILITY_GAP (20 points) or more away
  from its empirical win rate (of the deals that entered it and have closed; at least MIN_STAGE_CLOSED).

The rep rules look at --period (default: the last 90 days); the deal rules at today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from itertools import chain
from statistics import median
from typing import TYPE_CHECKING, Any

from salescli.render import Column
from salescli.services.reports.common import Figure, Report, ReportContext, Section, col, days, ratio, short

if TYPE_CHECKING:
    from salescli.repository.base import Row

STUCK_FACTOR = 2
MIN_STAYS = 3
PUSHES = 2
BIG_FACTOR = 2
QUIET_DAYS = 14
MIN_OPEN_FOR_BIG = 5
REP_FACTOR = Decimal("0.5")
MIN_CLOSED = 5
MIN_REPS = 3
PROBABILITY_GAP = Decimal("0.20")
MIN_STAGE_CLOSED = 10
RULES = ("stuck", "pushed", "quiet", "rep_win_rate", "rep_activity", "stage_probability")
METRICS = {"insights": "insights found", **{r: f"{r} insights" for r in RULES}}


def default_period(today: date) -> Any:
    from salescli.values import Period

    start = today - timedelta(days=89)
    return Period(start, today + timedelta(days=1), f"{start.isoformat()}..{today.isoformat()}")


def _money(minor: int | None, currency: str) -> Decimal | None:
    from salescli.values import minor_to_decimal

    return None if minor is None else minor_to_decimal(minor, currency)


def _half_up_minor(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_HALF_UP))


def _amount_text(minor: int | None, currency: str) -> str:
    from salescli.values import format_money

    return format_money(minor, currency) if minor is not None else "no amount"


def _deal(r: dict[str, Any]) -> dict[str, Any]:
    return {"deal_id": r["id"], "subject": f"deal {r['id']} {r['title']}", "owner": r["owner"],
            "amount": _money(r["amount_minor"], r["currency"]), "currency": r["currency"]}


def _peek(rows: Iterator[Row]) -> tuple[int, Iterator[Row]]:
    """The `total` a query's rows carry (0 when none), and the rows, first one included."""
    first = next(rows, None)
    if first is None:
        return 0, iter(())
    return int(first["total"]), chain([first], rows)


def stuck_deals(ctx: ReportContext, limit: int | None, notes: list[str] | None = None
                ) -> tuple[int, Iterator[dict[str, Any]]]:
    """notes: told when no stage has the stays to learn a usual one from (history older than a year)."""
    repo = ctx.repo
    # the usual stay: stays that began in the last year (everyone's deals), enough of them to mean something
    year_ago = (ctx.today - timedelta(days=365)).isoformat()
    tomorrow = (ctx.today + timedelta(days=1)).isoformat()
    medians = {r["stage_id"]: r for r in repo.stage_medians(type(ctx.filter)(), start=year_ago, end=tomorrow,
                                                             upto=tomorrow)}
    limits = {sid: r["median"] * STUCK_FACTOR for sid, r in medians.items()
              if r["stays"] >= MIN_STAYS and r["median"] and r["median"] > 0}
    if not limits and notes is not None:
        notes.append(f"stuck deals: no stage has {MIN_STAYS} stays that began in the last year and have ended, to learn"
                     " its usual time from (imported history older than a year teaches none; `salescli report funnel"
                     " --period all` shows the median days in each stage)")
    total, rows = _peek(repo.deals_in_stage_longer(ctx.filter, today=ctx.today.isoformat(), limits=limits,
                                                   limit=limit))

    def out() -> Iterator[dict[str, Any]]:
        for r in rows:
            med = medians[r["stage_id"]]
            median = days(med["median"])
            assert median is not None  # a deal is stuck against a stage's median
            yield {"rule": "stuck", **_deal(r),
                   "message": f"in {r['stage']} for {r['days_in_stage']:.0f} days; deals usually leave it after "
                              f"{median.normalize():f} days (the median of {med['stays']} stays)",
                   "numbers": {"days_in_stage": days(r["days_in_stage"]), "median_days": median,
                               "stays": med["stays"], "factor": STUCK_FACTOR}}

    return total, out()


def pushed_deals(ctx: ReportContext, limit: int | None) -> tuple[int, Iterator[dict[str, Any]]]:
    after = (ctx.today + timedelta(days=1)).isoformat()  # (pushes made after the report's day do not count)
    total, rows = _peek(ctx.repo.close_date_pushes(ctx.filter, min_pushes=PUSHES, before=after, limit=limit))

    def out() -> Iterator[dict[str, Any]]:
        for r in rows:
            yield {"rule": "pushed", **_deal(r),
                   "message": f"close date pushed {r['pushes']} times (from {r['first_close']} to "
                              f"{r['last_close']})",
                   "numbers": {"pushes": r["pushes"], "first_close": r["first_close"],
                               "expected_close": r["expected_close"]}}

    return total, out()


def quiet_deals(ctx: ReportContext, limit: int | None) -> tuple[int, Iterator[dict[str, Any]]]:
    from salescli.services.money import exact_minor_factors

    repo = ctx.repo
    scale = ctx.fx_scale()
    everyone = type(ctx.filter)(pipeline_id=ctx.filter.pipeline_id)
    if sum(r["deals"] for r in repo.open_counts(everyone, "all")) < MIN_OPEN_FOR_BIG:
        return 0, iter(())
    # (exactly: a float factor made 1,000 GBP at 1.15 worth 1,149.99 EUR, and its double a deal's threshold)
    factors = exact_minor_factors(ctx.base, ctx.rates)
    middle = repo.open_amount_middle(everyone, scale)
    typical = sum((r["amount_minor"] * factors[r["currency"]] for r in middle), Decimal(0)) / (len(middle) or 1)
    if not typical:
        return 0, iter(())
    threshold = typical * BIG_FACTOR  # base minor units, maybe a fraction of one
    least = {cur: int((threshold / factor).to_integral_value(ROUND_CEILING))
             for cur, factor in factors.items() if factor > 0}  # (a rate of 0, written by hand: left out)
    total, rows = _peek(repo.quiet_big_deals(ctx.filter, today=ctx.today.isoformat(), quiet_days=QUIET_DAYS,
                                             least=least, scale=scale, limit=limit))
    median_money, threshold_money = (_money(_half_up_minor(v), ctx.base) for v in (typical, threshold))

    def out() -> Iterator[dict[str, Any]]:
        for r in rows:
            yield {"rule": "quiet", **_deal(r),
                   "message": f"{_amount_text(r['amount_minor'], r['currency'])} (over {BIG_FACTOR}x the "
                              f"median open deal) and idle for {r['quiet']:.0f} days",
                   "numbers": {"days_without_activity": int(r["quiet"]), "last_activity": r["last_activity"],
                               "idle_since": r["last_touch"],
                               "median_open_amount": median_money, "threshold": threshold_money}}

    return total, out()


def rep_insights(ctx: ReportContext) -> list[dict[str, Any]]:
    """Reps far below their team's median win rate or activity count in the period."""
    repo = ctx.repo
    everyone = type(ctx.filter)(pipeline_id=ctx.filter.pipeline_id)
    closed: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in repo.closed_in_period(everyone, "owner", start=ctx.start, end=ctx.events_end, upto=ctx.upto):
        closed[r["grp"]][0] += r["won"] or 0
        closed[r["grp"]][1] += r["lost"] or 0
    acts: dict[str, int] = defaultdict(int)
    for r in repo.activity_counts(everyone, "owner", start=ctx.start, end=ctx.events_end):
        acts[r["grp"]] += r["n"]
    teams = {k.lower(): v for k, v in repo.teams().items()}
    reps = {o for o in set(closed) | set(acts) if o}
    team_of = {o: (teams.get(o.lower()) or "") for o in reps}
    out: list[dict[str, Any]] = []
    wanted = {o for o in reps if (ctx.scope.owner is None or o == ctx.scope.owner)
              and (ctx.scope.team is None or team_of[o].lower() == ctx.scope.team.lower())}
    rates: dict[str, Decimal] = {}
    for o, (w, lost) in closed.items():
        rate = ratio(w, w + lost)
        if o and w + lost >= MIN_CLOSED and rate is not None:
            rates[o] = rate
    for rep in sorted(wanted):
        peers = [o for o in reps if team_of[o] == team_of[rep]] if team_of[rep] else sorted(reps)
        group = f"team {team_of[rep]}" if team_of[rep] else "everyone"
        peer_rates = [rates[o] for o in peers if o in rates]
        mine = rates.get(rep)
        if mine is not None and len(peer_rates) >= MIN_REPS:
            mid = Decimal(str(median(peer_rates)))
            if mid > 0 and mine < REP_FACTOR * mid:
                w, lost = closed[rep]
                out.append({"rule": "rep_win_rate", "subject": f"rep {rep}", "owner": rep, "deal_id": None,
                            "amount": None, "currency": None,
                            "message": f"win rate {mine * 100:.0f}% ({w} of {w + lost}) vs {group} median "
                                       f"{mid * 100:.0f}%",
                            "numbers": {"win_rate": mine, "won": w, "closed": w + lost, "median": mid.quantize(
                                Decimal("0.0001")), "peers": len(peer_rates)}})
        peer_acts = [acts.get(o, 0) for o in peers]
        if len(peer_acts) >= MIN_REPS:
            mid_acts = Decimal(str(median(peer_acts)))
            if mid_acts > 0 and acts.get(rep, 0) < REP_FACTOR * mid_acts:
                out.append({"rule": "rep_activity", "subject": f"rep {rep}", "owner": rep, "deal_id": None,
                            "amount": None, "currency": None,
                            "message": f"{acts.get(rep, 0)} activities vs {group} median {mid_acts:.0f}",
                            "numbers": {"activities": acts.get(rep, 0), "median": mid_acts, "peers": len(peer_acts)}})
    return out


def stage_insights(ctx: ReportContext) -> list[dict[str, Any]]:
    from salescli.services.reports.common import stage_lookup

    stages = stage_lookup(ctx)
    out: list[dict[str, Any]] = []
    if ctx.scope.owner or ctx.scope.team:
        return out  # a stage's calibration is everyone's business, not one rep's
    for r in ctx.repo.stage_outcomes(ctx.filter.pipeline_id, ctx.today.isoformat()):
        stage = stages.get(r["stage_id"])
        if stage is None or r["closed"] < MIN_STAGE_CLOSED:
            continue
        empirical = ratio(r["won"], r["closed"])
        configured = ratio(stage["probability"], 100)
        assert empirical is not None and configured is not None
        if abs(empirical - configured) >= PROBABILITY_GAP:
            out.append({"rule": "stage_probability", "subject": f"{stage['name']} ({stage['pipeline']})",
                        "owner": None, "deal_id": None, "amount": None, "currency": None,
                        "message": f"configured {stage['probability']}% but {empirical * 100:.0f}% of the "
                                   f"{r['closed']:,} closed deals that entered it were won",
                        "numbers": {"probability": configured, "win_rate": empirical, "closed": r["closed"],
                                    "won": r["won"]}})
    return out


TITLES = {
    "stuck": "Stuck: in their stage over twice the usual time",
    "pushed": "Close date pushed more than once",
    "quiet": "Big deals without activity for 14 days",
    "rep_win_rate": "Reps far below their team's median win rate",
    "rep_activity": "Reps far below their team's median activity",
    "stage_probability": "Stages whose probability is far from their win rate",
}


def build(ctx: ReportContext, list_limit: int | None = None) -> Report:
    """list_limit: read only the first deals of each deal rule (a table shows no more)."""
    notes: list[str] = []
    deal_rules = {"stuck": stuck_deals(ctx, list_limit, notes), "pushed": pushed_deals(ctx, list_limit),
                  "quiet": quiet_deals(ctx, list_limit)}
    reps = rep_insights(ctx)
    small = {"rep_win_rate": [r for r in reps if r["rule"] == "rep_win_rate"],
             "rep_activity": [r for r in reps if r["rule"] == "rep_activity"],
             "stage_probability": stage_insights(ctx)}
    counts = {**{rule: total for rule, (total, _rows) in deal_rules.items()},
              **{rule: len(rows) for rule, rows in small.items()}}
    summary = {"insights": sum(counts.values()), **counts}
    columns = [col("rule", in_table=False), short("subject"), col("owner"), col("deal_id", in_table=False),
               col("amount", in_table=False), col("currency", in_table=False), Column("message", "why", wrap=True),
               col("numbers", in_table=False)]
    sections = [Section(rule, TITLES[rule], columns, rows, empty="none", total=total, table_limit=20,
                        hide_empty=True) for rule, (total, rows) in deal_rules.items()]
    sections += [Section(rule, TITLES[rule], columns, rows, empty="none", hide_empty=True)
                 for rule, rows in small.items()]
    report = Report(
        name="insights",
        title="Insights" + (f" ({ctx.scope_label()})" if ctx.scope_label() else ""),
        meta=ctx.meta("insights", None, rules={
            "stuck_factor": STUCK_FACTOR, "pushes": PUSHES, "big_factor": BIG_FACTOR, "quiet_days": QUIET_DAYS,
            "rep_factor": REP_FACTOR, "min_closed": MIN_CLOSED, "probability_gap": PROBABILITY_GAP}),
        summary=summary,
        figures=[Figure("insights", "insights"), *(Figure(r, r.replace("_", " ")) for r in RULES)],
        sections=sections,
        metrics=summary,
        csv_section="*",
    )
    report.notes.extend(notes)
    if not summary["insights"]:  # say so, rather than a block of zeros
        report.notes.append("nothing stands out in the period: no deal stuck, pushed or gone quiet, no rep or stage"
                            " far from the rest (idle deals and missing next steps: `salescli report stale`)")
    return report.finish(ctx)
