#!/usr/bin/env bash
# `make demo`: the collection's main job on an embedded default, on a fresh machine.
#  1. sets up the controller venv, kubernetes.core and the MLflow/IdP venvs (cached in .venv/.cache);
#  2. starts mlflow-oidc-auth 11.0.2 + oidc-provider-mock on 127.0.0.1 and the Kubernetes API stand-in
#     (tests/harness/kube_standin.py — no real cluster can run here; set KUBECONFIG to use a real one);
#  3. runs playbooks/team_workspace.yml for ds-team-alpha twice: the first run creates everything,
#     the second changes nothing;
#  4. shows a notebook's view: reads the Secret and uses its three variables with the MLflow client;
#  5. stops everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash tests/harness/bootstrap.sh controller collections mlflow11 idp
source tests/harness/ansible_env.sh
PY="$ROOT/.venv/controller/bin/python"
STATE="$ROOT/.run/demo"
KPID=""
cleanup() {
  [ -n "$KPID" ] && kill "$KPID" 2>/dev/null || true
  "$PY" tests/harness/servers.py stop --state "$STATE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
rm -rf "$STATE"; mkdir -p "$STATE/tmp"
echo "== starting MLflow (mlflow-oidc-auth 11.0.2) and the OIDC provider mock on 127.0.0.1"
"$PY" tests/harness/servers.py start --state "$STATE" --only mlflow11,idp
eval "$("$PY" - "$STATE/servers.json" <<'PY'
import json, shlex, sys
s = json.load(open(sys.argv[1]))
m, idp = s["mlflow11"], s["idp"]
env = {
    "MLFLOW_TRACKING_URI": m["url"], "MLFLOW_TRACKING_USERNAME": m["admin_username"],
    "MLFLOW_TRACKING_PASSWORD": m["admin_token"], "MLFLOW_OIDC_DISCOVERY_URL": idp["discovery_url"],
    "MLFLOW_OIDC_CLIENT_ID": idp["client_id"], "MLFLOW_OIDC_CLIENT_SECRET": idp["client_secret"],
    "MLFLOW_OIDC_REFRESH_TOKEN": s["admin_refresh_token"],
}
for k, v in env.items():
    print("export %s=%s" % (k, shlex.quote(v)))
PY
)"
if [ -n "${KUBECONFIG:-}" ]; then
  echo "== using the real cluster of KUBECONFIG=$KUBECONFIG"
  export K8S_AUTH_KUBECONFIG="$KUBECONFIG"
else
  echo "== starting the Kubernetes API stand-in (test double: no watch, RBAC, admission or controllers)"
  "$PY" tests/harness/kube_standin.py --port 0 --kubeconfig "$STATE/kubeconfig" --ready-file "$STATE/kube.ready" \
    > "$STATE/kube.log" 2>&1 &
  KPID=$!
  for _ in $(seq 100); do [ -s "$STATE/kube.ready" ] && break; sleep 0.1; done
  export K8S_AUTH_KUBECONFIG="$STATE/kubeconfig"
  export TMPDIR="$STATE/tmp"
  ansible localhost -c local -m kubernetes.core.k8s \
    -a "src=$ROOT/tests/harness/poddefault-crd.yaml wait=true" >/dev/null
fi
export ANSIBLE_NOCOLOR=1
for run in first second; do
  echo
  echo "== $run run of playbooks/team_workspace.yml for ds-team-alpha"
  ansible-playbook playbooks/team_workspace.yml -e team_workspace_name=ds-team-alpha \
    -e team_workspace_tracking_uri="$MLFLOW_TRACKING_URI" > "$STATE/$run.log"
  # each task that changed something, then the recap
  awk '/^TASK \[/ {task=$0} /^changed:/ {sub(/^TASK \[/, "  changed: ", task); sub(/\] \**$/, "", task); print task}
       /PLAY RECAP/ {p=1} p' "$STATE/$run.log"
done
echo
echo "== a notebook's view: the three variables of Secret ds-team-alpha/mlflow-team-credentials, used by the MLflow client"
"$PY" - > "$STATE/notebook.env" <<'PY'
import base64, os, shlex
from kubernetes import client, config
config.load_kube_config(os.environ["K8S_AUTH_KUBECONFIG"])
secret = client.CoreV1Api().read_namespaced_secret("mlflow-team-credentials", "ds-team-alpha")
for key in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
    print("%s=%s" % (key, shlex.quote(base64.b64decode(secret.data[key]).decode())))
PY
( set -a; source "$STATE/notebook.env"; set +a
  env -u MLFLOW_OIDC_REFRESH_TOKEN "$ROOT/.venv/mlflow11/bin/python" - <<'PY'
import os
import mlflow
exp = mlflow.get_experiment_by_name("ds-team-alpha-exp1")
print("signed in as %s (password: %d characters, not shown)" % (os.environ["MLFLOW_TRACKING_USERNAME"],
                                                               len(os.environ["MLFLOW_TRACKING_PASSWORD"])))
print("found experiment %r, id %s, lifecycle %s" % (exp.name, exp.experiment_id, exp.lifecycle_stage))
with mlflow.start_run(experiment_id=exp.experiment_id, run_name="notebook-check") as run:
    mlflow.log_metric("demo", 1.0)
print("logged run %s into it" % run.info.run_id)
PY
)
rm -f "$STATE/notebook.env"
echo
if grep -q "changed=0" "$STATE/second.log"; then
  echo "== second run: no changes (idempotent)"
else
  echo "== second run changed something: see $STATE/second.log" >&2
  exit 1
fi
