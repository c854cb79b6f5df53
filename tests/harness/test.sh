#!/usr/bin/env bash
# The whole test suite, in the order that fails fastest. Usage: test.sh [steps...]
# steps: docs unit lint sanity integration molecule (default: all). Sets up its own environments first.
# The real servers are started ONCE for the integration step and shared by all its tests (pytest-xdist
# workers included), then stopped, whatever happens.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/controller/bin/python"
steps=("$@"); [ ${#steps[@]} -gt 0 ] || steps=(docs unit lint build sanity integration molecule)
t0=$(date +%s)
stamp() { printf '\n=== %s (%ss since start)\n' "$*" "$(( $(date +%s) - t0 ))"; }

stamp "bootstrap"
bash tests/harness/bootstrap.sh

STATE="$ROOT/.run/suite-servers"
cleanup() { [ -f "$STATE/servers.json" ] && "$PY" tests/harness/servers.py stop --state "$STATE" >/dev/null 2>&1 || true; }
trap cleanup EXIT

for step in "${steps[@]}"; do
  case "$step" in
    docs)
      stamp "docs: YAML of every plugin's documentation"
      "$PY" tests/harness/check_docs.py ;;
    unit)
      stamp "unit tests (pytest, mocked HTTP; the Kubernetes stand-in's own tests)"
      "$PY" -m pytest -c tests/pytest.ini tests/unit -q -p no:cacheprovider ;;
    lint)
      stamp "ansible-lint --profile production"
      bash tests/harness/lint.sh ;;
    build)
      stamp "ansible-galaxy collection build + install the artifact + ansible-doc from it"
      rm -rf .run/build && mkdir -p .run/build
      .venv/controller/bin/ansible-galaxy collection build --output-path .run/build >/dev/null
      ANSIBLE_HOME="$ROOT/.run/build/home" .venv/controller/bin/ansible-galaxy collection install --offline --no-deps 2>/dev/null \
        -p .run/build/installed .run/build/prokube-mlflow-*.tar.gz >/dev/null
      ANSIBLE_COLLECTIONS_PATH="$ROOT/.run/build/installed" .venv/controller/bin/ansible-doc prokube.mlflow.mlflow_token \
        | grep -q MLFLOW_OIDC_REFRESH_TOKEN
      ANSIBLE_COLLECTIONS_PATH="$ROOT/.run/build/installed:$ROOT/.cache/collections" .venv/controller/bin/ansible-doc \
        -t role prokube.mlflow.team_workspace | grep -q team_workspace_name
      echo "artifact: $(ls .run/build/prokube-mlflow-*.tar.gz), module and role docs render from it" ;;
    sanity)
      stamp "ansible-test sanity"
      bash tests/harness/sanity.sh ;;
    integration)
      stamp "integration tests against real servers"
      cleanup
      "$PY" tests/harness/servers.py start --state "$STATE"
      PROKUBE_MLFLOW_SERVERS="$STATE/servers.json" PROKUBE_REQUIRE_MLFLOW5=1 "$PY" -m pytest -c tests/pytest.ini tests/integration \
        -q -p no:cacheprovider -n "${PROKUBE_TEST_WORKERS:-2}" --durations=15 ;;  # servers stay up for molecule
    molecule)
      if [ -f tests/harness/molecule.sh ]; then
        stamp "molecule (team_workspace role)"
        if [ -f "$STATE/servers.json" ]; then PROKUBE_MLFLOW_SERVERS="$STATE/servers.json" bash tests/harness/molecule.sh
        else bash tests/harness/molecule.sh; fi
      fi ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
stamp "all steps passed: ${steps[*]}"
