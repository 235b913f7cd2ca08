#!/bin/bash
# A/B one salescli command between two installs, interleaved; prints "old SECONDS" / "new SECONDS" lines.
#   OLD_PY=/tmp/old-venv/bin/python OLD_DB=old.db NEW_DB=new.db benchmarks/ab.sh ROUNDS report stale
# OLD_PY: the python of a venv with the baseline installed (pip install, not -e: an editable install of
# another checkout shadows PYTHONPATH); OLD_DB/NEW_DB: copies of one database (each version migrates its
# own); NEW_PY defaults to this checkout's .venv. (-P: the current folder never shadows the install.)
set -eu
rounds=$1; shift
new_py=${NEW_PY:-$(dirname "$0")/../.venv/bin/python}
for _ in $(seq "$rounds"); do
  for v in old new; do
    if [ $v = old ]; then py=$OLD_PY; db=$OLD_DB; else py=$new_py; db=$NEW_DB; fi
    start=$(date +%s.%N)
    NO_COLOR=1 COLUMNS=80 "$py" -P -m salescli --db "$db" --today 2026-11-26 "$@" > "/tmp/ab_$v.out" 2>&1
    end=$(date +%s.%N)
    printf "%s %.2f\n" $v "$(echo "$end - $start" | bc)"
  done
done
