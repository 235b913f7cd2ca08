"""Reports: one module per report (build(ctx, ...) -> Report), shared pieces in common.py."""

#: report name on the command line -> module in this package
REPORTS = {
    "pipeline": "pipeline",
    "forecast": "forecast",
    "performance": "performance",
    "velocity": "velocity",
    "funnel": "funnel",
    "activity": "activity",
    "stale": "stale",
    "lost-reasons": "lost_reasons",
    "weekly": "weekly",
    "forecast-accuracy": "accuracy",
}
