"""Wall time and MLflow request count of the team_workspace role: a first run and a rerun, for 1 and for N teams.

    .venv/controller/bin/python tests/benchmarks/bench_team_workspace.py [--teams 1,10] [--forks 10]

Uses the servers named by PROKUBE_MLFLOW_SERVERS (a servers.json) or starts its own (idp + mlflow11), and the
Kubernetes stand-in in a thread. Runs playbooks/team_workspace.yml for one team and playbooks/team_workspaces.yml for
N teams (fresh names), each twice, and prints the wall time, the recap's changed count and the sum of the
`http_requests` the MLflow modules report (requests to Kubernetes and to the IdP are not counted).
"""
import argparse
import json
import os
import sys
import time
import uuid

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness"))
import ansible_runner  # noqa: E402
import kube_standin  # noqa: E402
import servers as server_harness  # noqa: E402

PLAYBOOKS = os.path.join(ansible_runner.ROOT, "playbooks")


def connection(info):
    m, idp = info["mlflow11"], info["idp"]
    return {"mlflow_tracking_uri": m["url"], "mlflow_username": m["admin_username"], "mlflow_password": m["admin_token"],
            "mlflow_oidc_discovery_url": idp["discovery_url"], "mlflow_oidc_client_id": idp["client_id"],
            "mlflow_oidc_client_secret": idp["client_secret"], "mlflow_oidc_refresh_token": info["admin_refresh_token"]}


def http_requests(result):
    """Requests a task sent to MLflow; a loop's are in its items."""
    return result.get("http_requests", 0) + sum(item.get("http_requests", 0) for item in result.get("results", []))


def measure(label, playbook, env, args=(), extra_vars=None):
    start = time.time()
    run = ansible_runner.run_playbook(playbook, env=env, args=args, extra_vars=extra_vars, timeout=1800)
    wall = time.time() - start
    run.assert_ok()
    requests = sum(http_requests(r["result"]) for r in run.records)
    changed = sum(1 for r in run.records if r["result"].get("changed"))
    print("%-34s %7.1f s  changed tasks %3d  MLflow requests %4d" % (label, wall, changed, requests), flush=True)
    return {"label": label, "wall_s": round(wall, 1), "changed": changed, "http_requests": requests}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--teams", default="1,10", help="comma-separated team counts for team_workspaces.yml")
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()

    state = None
    if os.environ.get("PROKUBE_MLFLOW_SERVERS"):
        with open(os.environ["PROKUBE_MLFLOW_SERVERS"]) as fh:
            info = json.load(fh)
    else:
        state = os.path.join(ansible_runner.RUN_DIR, "bench-servers-%d" % os.getpid())
        info = server_harness.start_all(state, only=["idp", "mlflow11"])
    server, url = kube_standin.start_in_thread(port=0)
    try:
        kubeconfig = os.path.join(ansible_runner.RUN_DIR, "bench-%d.kubeconfig" % os.getpid())
        kube_standin.write_kubeconfig(kubeconfig, url)
        import requests
        with open(os.path.join(ansible_runner.ROOT, "tests", "harness", "poddefault-crd.yaml")) as fh:
            r = requests.post(url + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=yaml.safe_load(fh), timeout=10)
            r.raise_for_status()
        conn = connection(info)
        env = {"K8S_AUTH_KUBECONFIG": kubeconfig}
        results = []
        uid = uuid.uuid4().hex[:6]

        one = "bench-%s" % uid
        for label in ("first run", "rerun"):
            results.append(measure("team_workspace.yml 1 team %s" % label, os.path.join(PLAYBOOKS, "team_workspace.yml"),
                                   env, extra_vars=dict(conn, team_workspace_name=one)))
        for n in [int(x) for x in args.teams.split(",") if x]:
            teams_file = os.path.join(ansible_runner.RUN_DIR, "bench-teams-%s-%d.yml" % (uid, n))
            with open(teams_file, "w") as fh:
                yaml.safe_dump(dict(conn, teams=[{"team_workspace_name": "bench-%s-%d-%d" % (uid, n, i)} for i in range(n)]), fh)
            for label in ("first run", "rerun"):
                results.append(measure("team_workspaces.yml %d teams %s" % (n, label),
                                       os.path.join(PLAYBOOKS, "team_workspaces.yml"), env,
                                       args=("-e", "teams_file=%s" % teams_file, "-f", str(args.forks))))
        print(json.dumps(results))
    finally:
        server.stop()
        if state:
            server_harness.stop_all(state)


if __name__ == "__main__":
    main()
