"""Request counts and wall time of each module: a first (changing) run and a no-op rerun.

    .venv/controller/bin/python tests/benchmarks/bench_modules.py

Uses the servers named by PROKUBE_MLFLOW_SERVERS (a servers.json) or starts its own (idp + mlflow11).
Every scenario is one play of one task; `http_requests` is what the module itself reports (requests to
MLflow; the IdP sign-in is not counted). Wall time is the whole ansible-playbook process (≈ 1.5–2.5 s of it
is Ansible's own start-up), so the per-task time is printed too, from the task's start and end.
"""
import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness"))
import ansible_runner  # noqa: E402
import servers as server_harness  # noqa: E402


def scenarios(uid):
    exp = "bench-exp-%s" % uid
    group = "pk:bench-%s" % uid
    svc = "svc-bench-%s" % uid
    exps = ["bench-%s-%d" % (uid, i) for i in range(10)]
    setup = [{"prokube.mlflow.mlflow_experiment": {"name": n}} for n in exps] + [
        {"prokube.mlflow.mlflow_group": {"name": group}},
        {"prokube.mlflow.mlflow_service_account": {"name": svc, "display_name": "Bench"}},
    ]
    grants = [{"experiment": n, "permission": "EDIT"} for n in exps]
    return setup, [
        ("mlflow_experiment", {"name": exp, "tags": {"team": "bench"}}),
        ("mlflow_experiment_info", {"name": exp}),
        ("mlflow_registered_model", {"name": "bench-model-%s" % uid, "description": "d"}),
        ("mlflow_prompt", {"name": "bench-prompt-%s" % uid, "template": "Summarize the following text in one sentence."}),
        ("mlflow_group", {"name": group}),
        ("mlflow_service_account", {"name": svc, "display_name": "Bench"}),
        ("mlflow_user_info", {"name": svc}),
        ("mlflow_token", {"user": svc, "expires_in_days": 90}),
        ("mlflow_group_permission", {"group": group, "experiment": exp, "permission": "EDIT"}),
        ("mlflow_user_permission", {"user": svc, "experiment": exp, "permission": "READ"}),
        ("mlflow_group_permission", {"group": group, "grants": grants, "exclusive": True}),
        ("mlflow_permission_info", {"group": group}),
        ("mlflow_gc", {"experiments": [exp + "-never-deleted"]}),
    ]


def run_once(info, module, args, defaults):
    task = {"name": "bench", "prokube.mlflow.%s" % module: args}
    start = time.time()
    run = ansible_runner.run_playbook(ansible_runner.play([task], module_defaults=defaults))
    wall = time.time() - start
    run.assert_ok()
    res = run.result("bench")
    # a minted token censors the whole displayed result (changed stays): its count is not visible then
    return wall, res.get("changed"), res.get("http_requests", "censored")


def main():
    state = None
    if os.environ.get("PROKUBE_MLFLOW_SERVERS"):
        with open(os.environ["PROKUBE_MLFLOW_SERVERS"]) as fh:
            info = json.load(fh)
    else:
        state = os.path.join(ansible_runner.RUN_DIR, "bench-modules-%d" % os.getpid())
        info = server_harness.start_all(state, only=["idp", "mlflow11"])
    try:
        m, idp = info["mlflow11"], info["idp"]
        defaults = {"tracking_uri": m["url"], "username": m["admin_username"], "password": m["admin_token"],
                    "oidc_discovery_url": idp["discovery_url"], "oidc_client_id": idp["client_id"],
                    "oidc_client_secret": idp["client_secret"], "oidc_refresh_token": info["admin_refresh_token"]}
        uid = uuid.uuid4().hex[:6]
        setup, cases = scenarios(uid)
        ansible_runner.run_playbook(ansible_runner.play(setup, module_defaults=defaults)).assert_ok()
        print("| module (scenario) | 1st run: changed / requests / wall | no-op rerun: changed / requests / wall |")
        print("|---|---|---|")
        for module, args in cases:
            label = module + (" (10-grant list, exclusive)" if "grants" in args else "")
            w1, c1, r1 = run_once(info, module, args, defaults)
            w2, c2, r2 = run_once(info, module, args, defaults)
            print("| %s | %s / %s / %.1f s | %s / %s / %.1f s |" % (label, c1, r1, w1, c2, r2, w2), flush=True)
    finally:
        if state:
            server_harness.stop_all(state)


if __name__ == "__main__":
    main()
