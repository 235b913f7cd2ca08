#!/bin/bash
# A/B `salescli import deals FILE` between two installs, each into a new database, interleaved; prints
# "old SECONDS" / "new SECONDS" lines.
#   OLD_PY=/tmp/old-venv/bin/python benchmarks/ab_import.sh ROUNDS FILE
# OLD_PY: the python of a venv with the baseline installed (pip install of a worktree, not -e); NEW_PY
# defaults to this checkout's .venv. (-P and cd /tmp: the current folder never shadows the install.)
set -eu
rounds=$1
file=$(realpath "$2")
new_py=${NEW_PY:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/python}  # (not realpath: a venv's python is a link)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$rounds"); do
  for v in old new; do
    if [ $v = old ]; then py=$OLD_PY; else py=$new_py; fi
    rm -f "$work"/ab.db*
    start=$(date +%s.%N)
    (cd /tmp && NO_COLOR=1 "$py" -P -m salescli --db "$work/ab.db" --today 2026-11-27 import deals "$file" \
      > /dev/null 2>&1)
    end=$(date +%s.%N)
    printf "%s %.2f\n" $v "$(echo "$end - $start" | bc)"
  done
done
