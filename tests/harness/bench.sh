#!/usr/bin/env bash
# `make bench`: request counts and wall times of every module and of the team_workspace role (1 and 10
# teams), against real servers started once for the benchmark. Figures go to stdout and .run/bench.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/controller/bin/python"
STATE="$ROOT/.run/bench-servers"
"$PY" tests/harness/servers.py stop --state "$STATE" >/dev/null 2>&1 || true
trap '"$PY" tests/harness/servers.py stop --state "$STATE" >/dev/null 2>&1 || true' EXIT
"$PY" tests/harness/servers.py start --state "$STATE" --only idp,mlflow11 | tee .run/bench.md
export PROKUBE_MLFLOW_SERVERS="$STATE/servers.json"
{ echo; "$PY" tests/benchmarks/bench_modules.py; echo; "$PY" tests/benchmarks/bench_team_workspace.py; } | tee -a .run/bench.md
