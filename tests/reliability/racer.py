"""A racer: one process that imports salescli once, then runs a script of steps as fast as it can.

Started as `python racer.py '<json steps>'` by the concurrency cases. Steps:
  {"wait": PATH}   block until PATH exists (a start line shared by every racer: a tight race)
  {"touch": PATH}  create PATH (tell the test a phase is over)
  {"run": [ARGS]}  run `salescli ARGS` in-process (its own connection, like a separate command)
  {"run": [ARGS], "until": PATH}  ... again and again until PATH exists (at least once)
Prints "ready" once imported, then one JSON line: [{"args", "code", "stdout", "stderr", "error"}, ...].
Each command opens and closes its own connection, so N steps are N real transactions racing whatever
the other processes do, without paying N interpreter starts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    from typer.testing import CliRunner

    from salescli.cli import app

    steps = json.loads(sys.argv[1])
    runner = CliRunner()
    print("ready", flush=True)
    results = []
    for step in steps:
        if "wait" in step:
            target = Path(step["wait"])
            deadline = time.monotonic() + 60
            while not target.exists():
                if time.monotonic() > deadline:
                    raise SystemExit(f"racer: {target} never appeared")
                time.sleep(0.0005)
        elif "touch" in step:
            Path(step["touch"]).touch()
        else:
            stop = Path(step["until"]) if "until" in step else None
            while True:
                res = runner.invoke(app, step["run"])
                error = None
                if res.exception is not None and not isinstance(res.exception, SystemExit):
                    error = repr(res.exception)
                results.append({"args": step["run"], "code": res.exit_code, "stdout": res.stdout,
                                "stderr": res.stderr, "error": error})
                if stop is None or stop.exists():
                    break
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    main()
