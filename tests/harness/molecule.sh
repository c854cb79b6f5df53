#!/usr/bin/env bash
# Runs the molecule scenario of the team_workspace role (extensions/molecule/team_workspace) against real servers:
# starts mlflow-oidc-auth 11 and the IdP (tests/harness/servers.py) - or reuses the ones named by
# PROKUBE_MLFLOW_SERVERS (a servers.json) - and the Kubernetes stand-in with the PodDefault CRD, exports their
# addresses as the PROKUBE_* variables molecule.yml reads, runs `molecule test -s team_workspace`, stops what it
# started and prints the wall time.
#
#   tests/harness/molecule.sh [extra molecule test arguments]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv/controller"
PY="$VENV/bin/python"
RUN="$ROOT/.run/molecule-$$"
mkdir -p "$RUN"
started_servers=""
kube_pid=""
start=$(date +%s)

# shellcheck disable=SC2329  # called by the EXIT trap
cleanup() {
  if [ -n "$kube_pid" ]; then kill "$kube_pid" 2>/dev/null || true; fi
  if [ -n "$started_servers" ]; then "$PY" "$ROOT/tests/harness/servers.py" stop --state "$RUN/servers" >/dev/null || true; fi
}
trap cleanup EXIT

if [ -n "${PROKUBE_MLFLOW_SERVERS:-}" ]; then
  servers_json="$PROKUBE_MLFLOW_SERVERS"
else
  "$PY" "$ROOT/tests/harness/servers.py" start --state "$RUN/servers" --only idp,mlflow11
  started_servers=1
  servers_json="$RUN/servers/servers.json"
fi

"$PY" "$ROOT/tests/harness/kube_standin.py" --port 0 --kubeconfig "$RUN/kubeconfig" --ready-file "$RUN/kube.ready" \
  >"$RUN/kube-standin.log" 2>&1 &
kube_pid=$!
for _ in $(seq 100); do [ -s "$RUN/kube.ready" ] && break; sleep 0.1; done
[ -s "$RUN/kube.ready" ] || { echo "the Kubernetes stand-in did not start" >&2; cat "$RUN/kube-standin.log" >&2; exit 1; }

# PodDefault CRD (what Kubeflow installs), and the PROKUBE_* variables for molecule.yml
eval "$("$PY" - "$servers_json" "$RUN/kubeconfig" "$ROOT" <<'PYEOF'
import json, shlex, sys, uuid
import yaml
from kubernetes import config
from kubernetes.dynamic import DynamicClient
servers_json, kubeconfig, root = sys.argv[1:4]
client = DynamicClient(config.new_client_from_config(config_file=kubeconfig))
with open(root + "/tests/harness/poddefault-crd.yaml") as fh:
    client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").create(body=yaml.safe_load(fh))
s = json.load(open(servers_json))
m, idp = s["mlflow11"], s["idp"]
env = {
    "PROKUBE_MLFLOW_URL": m["url"], "PROKUBE_MLFLOW_ADMIN": m["admin_username"], "PROKUBE_MLFLOW_ADMIN_TOKEN": m["admin_token"],
    "PROKUBE_IDP_DISCOVERY_URL": idp["discovery_url"], "PROKUBE_IDP_CLIENT_ID": idp["client_id"],
    "PROKUBE_IDP_CLIENT_SECRET": idp["client_secret"], "PROKUBE_IDP_REFRESH_TOKEN": s["admin_refresh_token"],
    "PROKUBE_KUBECONFIG": kubeconfig, "PROKUBE_MOLECULE_TEAM": "mol-" + uuid.uuid4().hex[:8],
}
for k, v in env.items():
    print("export %s=%s" % (k, shlex.quote(v)))
PYEOF
)"
mkdir -p "$ROOT/.run/collections/ansible_collections/prokube"
[ -e "$ROOT/.run/collections/ansible_collections/prokube/mlflow" ] || ln -s "$ROOT" "$ROOT/.run/collections/ansible_collections/prokube/mlflow"
export PROKUBE_PYTHON="$PY"
export PROKUBE_COLLECTIONS_PATH="$ROOT/.run/collections:$ROOT/.cache/collections"
export PROKUBE_ROLES_PATH="$ROOT/roles"
export PATH="$VENV/bin:$PATH"
export TMPDIR="$RUN/tmp" && mkdir -p "$TMPDIR"   # kubernetes.core's discovery cache: per run
export ANSIBLE_HOME="$RUN/ansible-home" MOLECULE_EPHEMERAL_DIRECTORY="$RUN/ephemeral"
unset MLFLOW_TRACKING_URI MLFLOW_TRACKING_USERNAME MLFLOW_TRACKING_PASSWORD MLFLOW_TRACKING_TOKEN || true

cd "$ROOT"
rc=0
molecule test -s team_workspace "$@" || rc=$?
printf 'molecule test -s team_workspace: rc=%s, %s s wall (team %s)\n' "$rc" "$(( $(date +%s) - start ))" "$PROKUBE_MOLECULE_TEAM"
exit $rc
