"""mlflow_gc against a real mlflow-oidc-auth 11.x server (the plugin's trash API).

The server is shared with other tests and helpers: every real purge names only experiments this test created
(uid in the name) through experiment_ids / experiments / run_ids. purge_all is only ever run in check mode.
"""
import os
import sys
import time

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402
import servers as server_harness  # noqa: E402

API = "/api/2.0/mlflow"


def gc_task(**args):
    return [{"name": "gc", "prokube.mlflow.mlflow_gc": args, "register": "out"}]


# ---------------------------------------------------------------------------------------------- REST helpers
def post(mlflow, path, body=None, params=None):
    r = mlflow.rest.post(mlflow.url + path, json=body, params=params)
    assert r.status_code < 300, (path, r.status_code, r.text)
    return r.json() if r.text.strip() else {}


def make_experiment(mlflow, name, runs=1):
    """An experiment with ``runs`` runs, each with one logged artifact file (through the artifact proxy)."""
    exp_id = post(mlflow, API + "/experiments/create", {"name": name})["experiment_id"]
    run_ids = []
    for n in range(runs):
        run_id = post(mlflow, API + "/runs/create", {"experiment_id": exp_id, "run_name": "r%d" % n})["run"]["info"]["run_id"]
        r = mlflow.rest.put("%s/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/model-%d.txt" % (mlflow.url, exp_id, run_id, n),
                            data=b"weights %d" % n)
        assert r.status_code == 200, r.text
        run_ids.append(run_id)
    return exp_id, run_ids


def delete_experiment(mlflow, exp_id):
    post(mlflow, API + "/experiments/delete", {"experiment_id": exp_id})


def delete_run(mlflow, run_id):
    post(mlflow, API + "/runs/delete", {"run_id": run_id})


def trash_ids(mlflow):
    status, body = mlflow.get("/oidc/trash/experiments")
    assert status == 200, body
    return {e["experiment_id"] for e in body["deleted_experiments"]}


def trash_run_ids(mlflow, exp_ids):
    status, body = mlflow.get("/oidc/trash/runs", experiment_ids=",".join(exp_ids))
    assert status == 200, body
    return {r["run_id"] for r in body["deleted_runs"]}


def grants_on(mlflow, exp_id):
    out = set()
    for kind in ("users", "groups"):
        status, body = mlflow.get(API + "/permissions/experiments/%s/%s" % (exp_id, kind))
        assert status == 200, body
        out |= {(kind[:-1], g["name"], g["permission"]) for g in body}
    return out


def artifact_file(server_info, exp_id, run_id, n=0):
    return os.path.join(server_info["state"], "mlflow11", "artifacts", exp_id, run_id, "artifacts", "model-%d.txt" % n)


def sign_in_user(mlflow, username, groups=(server_harness.USER_GROUP,)):
    """A real first login of a non-admin at the IdP (creates the user in MLflow); returns its id_token."""
    server_harness.idp_login_to_mlflow(mlflow.idp, mlflow.url, username, groups=groups)
    return server_harness.idp_sign_in(mlflow.idp, mlflow.url, username, groups=groups)["id_token"]


# ---------------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("args, words", [
    ({}, "refusing to purge without a selection"),
    ({"older_than": "30d"}, "refusing to purge without a selection"),
    ({"purge_all": True, "experiment_ids": ["1"]}, "do not combine it"),
    ({"experiment_ids": ["1"], "older_than": "1.2.3d"}, "is not an MLflow duration"),
    ({"experiment_ids": ["1"], "older_than": "30 days"}, "is not an MLflow duration"),
    ({"experiment_ids": ["1"], "older_than": "1m2h"}, "is not an MLflow duration"),
    ({"experiment_ids": ["1"], "older_than": ""}, "is not an MLflow duration"),
    ({"stale_grants_only": True}, "stale_grants_only needs experiment_ids"),
])
def test_refuses_before_any_request(mlflow, args, words):
    run = mlflow.run(gc_task(**args))
    assert run.rc != 0
    res = run.result("gc")
    assert words in res["msg"], res["msg"]
    assert res.get("http_requests", 0) == 0
    assert res["changed"] is False


def test_purge_all_check_mode_lists_the_whole_trash_and_purges_nothing(mlflow, uid):
    exp_id, run_ids = make_experiment(mlflow, "gc-all-%s" % uid)
    delete_experiment(mlflow, exp_id)
    before = trash_ids(mlflow)
    run = mlflow.run(gc_task(purge_all=True), check=True, diff=True).assert_ok()
    res = run.result("gc")
    assert res["changed"] is True
    listed = {e["experiment_id"] for e in res["experiments"]}
    # other tests run in parallel and may add to (or purge their own from) the trash meanwhile
    assert exp_id in listed and listed <= before | trash_ids(mlflow)
    assert run_ids[0] in {r["run_id"] for r in res["runs"]}
    assert {"experiment_id": exp_id, "kind": "user", "name": mlflow.admin_username, "permission": "MANAGE"} in res["grants_removed"]
    assert res["diff"]["after"] == {"experiments": [], "runs": [], "grants": []}
    assert exp_id in trash_ids(mlflow), "check mode purged"
    # clean up what this test created
    mlflow.run(gc_task(experiment_ids=[exp_id])).assert_ok()


# ---------------------------------------------------------------------------------------------- the main scenario
def test_check_purge_rerun_frees_names_and_artifacts(mlflow, uid, server_info):
    name_a, name_b, name_c = "gc-a-%s" % uid, "gc-b-%s" % uid, "gc-c-%s" % uid
    a, a_runs = make_experiment(mlflow, name_a, runs=2)
    b, b_runs = make_experiment(mlflow, name_b, runs=1)
    c, c_runs = make_experiment(mlflow, name_c, runs=2)   # stays active; one of its runs is deleted
    delete_experiment(mlflow, a)
    delete_experiment(mlflow, b)
    delete_run(mlflow, c_runs[0])
    files = [artifact_file(server_info, a, r, n) for n, r in enumerate(a_runs)] + [artifact_file(server_info, b, b_runs[0])] \
        + [artifact_file(server_info, c, c_runs[0])]
    keep = artifact_file(server_info, c, c_runs[1], 1)
    assert all(os.path.isfile(f) for f in files + [keep])

    tasks = gc_task(experiments=[name_a, name_b], run_ids=[c_runs[0]])

    def snapshot():
        return (sorted(trash_ids(mlflow) & {a, b}), sorted(trash_run_ids(mlflow, [a, b, c])),
                [os.path.isfile(f) for f in files + [keep]])

    check, real, again = check_real_rerun(mlflow, tasks, "gc", snapshot)
    planned = check.result("gc")
    # check mode lists exactly the deleted ones, with id and name
    assert planned["experiments"] == [{"experiment_id": a, "name": name_a}, {"experiment_id": b, "name": name_b}]
    assert sorted(r["run_id"] for r in planned["runs"]) == sorted(a_runs + b_runs + [c_runs[0]])
    assert {(g["experiment_id"], g["kind"], g["name"]) for g in planned["grants_removed"]} == \
        {(a, "user", mlflow.admin_username), (b, "user", mlflow.admin_username)}
    assert planned["diff"]["before"]["experiments"] == planned["experiments"]
    # the real run purged what check mode predicted
    done = real.result("gc")
    assert done["experiments"] == planned["experiments"]
    assert sorted(r["run_id"] for r in done["runs"]) == sorted(r["run_id"] for r in planned["runs"])
    assert done["grants_removed"] == planned["grants_removed"]
    assert not trash_ids(mlflow) & {a, b}
    assert mlflow.experiment(name_a) is None and mlflow.experiment(name_b) is None
    assert not any(os.path.exists(f) for f in files), "artifact files left in the artifact store"
    assert os.path.isfile(keep), "an active run's artifact was purged"
    assert mlflow.get(API + "/runs/get", run_id=c_runs[1])[0] == 200
    assert grants_on(mlflow, a) == set() or mlflow.get(API + "/experiments/get", experiment_id=a)[0] == 200
    # the rerun changes nothing and says why
    rerun = again.result("gc")
    assert rerun["not_in_trash"] == {"experiment_ids": [], "experiments": [name_a, name_b], "run_ids": [c_runs[0]]}
    # the names are free again
    new_a = post(mlflow, API + "/experiments/create", {"name": name_a})["experiment_id"]
    assert mlflow.experiment(name_a)["experiment_id"] == new_a
    delete_experiment(mlflow, new_a)
    delete_experiment(mlflow, c)
    mlflow.run(gc_task(experiment_ids=[new_a, c])).assert_ok()


def test_request_counts(mlflow, uid):
    exp_id, _runs = make_experiment(mlflow, "gc-count-%s" % uid)
    delete_experiment(mlflow, exp_id)
    real = mlflow.run(gc_task(experiment_ids=[exp_id])).assert_ok().result("gc")
    again = mlflow.run(gc_task(experiment_ids=[exp_id])).assert_ok().result("gc")
    # generation probe + trash list + runs list + 2 grant lists + 1 grant delete + cleanup
    assert real["http_requests"] == 7, real
    # probe + trash list + does the id still exist? + 2 grant lists (leftovers on a vanished id), no runs to list
    assert again["http_requests"] in (3, 5), again
    assert again["changed"] is False


def test_older_than_keeps_recent_ones(mlflow, uid):
    old, _r1 = make_experiment(mlflow, "gc-old-%s" % uid)
    recent, _r2 = make_experiment(mlflow, "gc-recent-%s" % uid)
    delete_experiment(mlflow, old)
    time.sleep(12)
    delete_experiment(mlflow, recent)
    tasks = gc_task(experiment_ids=[old, recent], older_than="9s")
    res = mlflow.run(tasks).assert_ok().result("gc")
    assert res["changed"] is True
    assert [e["experiment_id"] for e in res["experiments"]] == [old]
    assert res["too_recent"]["experiments"] == [{"experiment_id": recent, "name": "gc-recent-%s" % uid}]
    assert old not in trash_ids(mlflow) and recent in trash_ids(mlflow)
    # a long older_than keeps everything: no change
    res = mlflow.run(gc_task(experiment_ids=[recent], older_than="1d")).assert_ok().result("gc")
    assert res["changed"] is False and res["experiments"] == []
    assert recent in trash_ids(mlflow)
    mlflow.run(gc_task(experiment_ids=[recent])).assert_ok()
    assert recent not in trash_ids(mlflow)


def test_experiment_ids_purge_only_those(mlflow, uid):
    one, one_runs = make_experiment(mlflow, "gc-one-%s" % uid)
    two, two_runs = make_experiment(mlflow, "gc-two-%s" % uid)
    delete_experiment(mlflow, one)
    delete_experiment(mlflow, two)
    res = mlflow.run(gc_task(experiment_ids=[one])).assert_ok().result("gc")
    assert [e["experiment_id"] for e in res["experiments"]] == [one]
    assert [r["run_id"] for r in res["runs"]] == one_runs
    assert one not in trash_ids(mlflow)
    assert two in trash_ids(mlflow) and trash_run_ids(mlflow, [two]) == set(two_runs)
    mlflow.run(gc_task(experiment_ids=[two])).assert_ok()


def test_non_admin_gets_a_clear_403(mlflow, uid):
    token = sign_in_user(mlflow, "gc-user-%s@example.com" % uid)
    run = mlflow.run(gc_task(experiment_ids=["1"]), defaults={"tracking_uri": mlflow.url, "token": token})
    assert run.rc != 0
    msg = run.result("gc")["msg"]
    assert "needs an MLflow administrator" in msg and "403" in msg and "Administrator privileges required" in msg, msg


# ---------------------------------------------------------------------------------------------- no grant outlives its experiment
def test_grant_on_a_purged_experiment_does_not_reach_the_next_one(mlflow, uid):
    user = "gc-reader-%s@example.com" % uid
    group = "gc-readers-%s" % uid
    token = sign_in_user(mlflow, user)
    post(mlflow, API + "/permissions/groups", {"group_name": group})
    reused = False
    for attempt in range(3):
        name = "secret-project-%s-%d" % (uid, attempt)
        exp_id, _runs = make_experiment(mlflow, name)
        post(mlflow, API + "/permissions/users/%s/experiments/%s" % (user, exp_id), {"permission": "READ"})
        post(mlflow, API + "/permissions/groups/%s/experiments/%s" % (group, exp_id), {"permission": "READ"})
        reader = requests.get(mlflow.url + API + "/experiments/get", params={"experiment_id": exp_id},
                              headers={"Authorization": "Bearer %s" % token})
        assert reader.status_code == 200, reader.text  # the grant works before the purge
        delete_experiment(mlflow, exp_id)
        check = mlflow.run(gc_task(experiments=[name]), check=True, diff=True).assert_ok().result("gc")
        assert {(g["kind"], g["name"], g["permission"]) for g in check["grants_removed"]} == \
            {("user", user, "READ"), ("group", group, "READ"), ("user", mlflow.admin_username, "MANAGE")}
        assert grants_on(mlflow, exp_id) == {("user", user, "READ"), ("group", group, "READ"),
                                             ("user", mlflow.admin_username, "MANAGE")}, "check mode removed grants"
        res = mlflow.run(gc_task(experiments=[name])).assert_ok().result("gc")
        assert res["grants_removed"] == check["grants_removed"]
        new_id = post(mlflow, API + "/experiments/create", {"name": "new-confidential-%s-%d" % (uid, attempt)})["experiment_id"]
        listing = grants_on(mlflow, exp_id)
        assert ("user", user, "READ") not in listing and ("group", group, "READ") not in listing, listing
        if new_id == exp_id:
            reused = True
            reader = requests.get(mlflow.url + API + "/experiments/get", params={"experiment_id": new_id},
                                  headers={"Authorization": "Bearer %s" % token})
            assert reader.status_code == 403, reader.text
        delete_experiment(mlflow, new_id)
        mlflow.run(gc_task(experiment_ids=[new_id])).assert_ok()
        if reused:
            break
    if not reused:
        pytest.skip("the id was never reused (other tests created experiments in between); the grants were removed")


def test_purge_without_grant_removal_then_create_on_the_reused_id(mlflow, uid):
    """mlflow_experiment survives the plugin's 'Permission already exists' on a reused id; stale_grants_only repairs."""
    for attempt in range(3):
        old_name, new_name = "gc-stale-%s-%d" % (uid, attempt), "gc-fresh-%s-%d" % (uid, attempt)
        exp_id, _runs = make_experiment(mlflow, old_name)
        delete_experiment(mlflow, exp_id)
        run = mlflow.run([
            {"name": "gc", "prokube.mlflow.mlflow_gc": {"experiment_ids": [exp_id], "remove_stale_grants": False}},
            {"name": "exp", "prokube.mlflow.mlflow_experiment": {"name": new_name}},
        ]).assert_ok()
        assert run.result("gc")["grants_removed"] == []
        exp = run.result("exp")["experiment"]
        assert exp["name"] == new_name and mlflow.experiment(new_name)["experiment_id"] == exp["experiment_id"]
        if exp["experiment_id"] == exp_id:
            warnings = run.result("exp").get("warnings", [])
            assert any("Permission already exists" in w or "stale grant" in w for w in warnings), warnings
            assert run.result("exp")["changed"] is True
            delete_experiment(mlflow, exp_id)
            mlflow.run(gc_task(experiment_ids=[exp_id])).assert_ok()
            return
        # not reused (another test took the next id): the stale admin grant is still on the vanished id
        delete_experiment(mlflow, exp["experiment_id"])
        mlflow.run(gc_task(experiment_ids=[exp["experiment_id"]])).assert_ok()
        if mlflow.get(API + "/experiments/get", experiment_id=exp_id)[0] != 200:
            check_real_rerun(mlflow, gc_task(experiment_ids=[exp_id], stale_grants_only=True), "gc",
                             lambda: grants_on(mlflow, exp_id))
            assert grants_on(mlflow, exp_id) == set()
    pytest.skip("the id was never reused in 3 attempts (other tests created experiments in between)")


def test_stale_grants_only_removes_grants_left_by_mlflow_gc(mlflow, uid):
    """What the guide's `mlflow gc` leaves (grants on a vanished id) is repaired without the trash API."""
    user = "gc-left-%s@example.com" % uid
    sign_in_user(mlflow, user)
    exp_id, _runs = make_experiment(mlflow, "gc-left-%s" % uid)
    post(mlflow, API + "/permissions/users/%s/experiments/%s" % (user, exp_id), {"permission": "EDIT"})
    delete_experiment(mlflow, exp_id)
    run = mlflow.run([
        {"name": "purge", "prokube.mlflow.mlflow_gc": {"experiment_ids": [exp_id], "remove_stale_grants": False}},
        {"name": "plan", "prokube.mlflow.mlflow_gc": {"experiment_ids": [exp_id], "stale_grants_only": True},
         "check_mode": True},
        {"name": "gc", "prokube.mlflow.mlflow_gc": {"experiment_ids": [exp_id], "stale_grants_only": True}},
        {"name": "again", "prokube.mlflow.mlflow_gc": {"experiment_ids": [exp_id], "stale_grants_only": True}},
    ]).assert_ok()
    if run.result("gc")["not_in_trash"]["experiment_ids"] == [exp_id]:
        # another test created an experiment on the freed id in between: its grants are not ours to judge
        requests.delete(mlflow.url + API + "/permissions/users/%s/experiments/%s" % (user, exp_id), auth=mlflow.rest.auth)
        pytest.skip("the id was reused by another test before the repair")
    wanted = {"experiment_id": exp_id, "kind": "user", "name": user, "permission": "EDIT"}
    assert wanted in run.result("plan")["grants_removed"] and run.result("plan")["changed"] is True
    assert wanted in run.result("gc")["grants_removed"] and run.result("gc")["changed"] is True
    assert run.result("again")["changed"] is False and run.result("again")["grants_removed"] == []
    assert grants_on(mlflow, exp_id) == set()


# ---------------------------------------------------------------------------------------------- playbooks/gc.yml
def run_gc_playbook(mlflow, check=False, **extra):
    import ansible_runner
    playbook = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks", "gc.yml")
    return ansible_runner.run_playbook(playbook, check=check, diff=check, env=mlflow.env(), extra_vars=extra)


def test_gc_playbook_api_way(mlflow, uid):
    exp_id, _runs = make_experiment(mlflow, "gc-pb-%s" % uid)
    delete_experiment(mlflow, exp_id)
    refused = run_gc_playbook(mlflow)
    assert refused.rc != 0 and "refusing to purge without a selection" in refused.result("Purge through the trash API (PERMANENT)")["msg"]
    check = run_gc_playbook(mlflow, check=True, mlflow_gc_experiment_ids=[int(exp_id)]).assert_ok()
    assert check.changed("Purge through the trash API (PERMANENT)") and exp_id in trash_ids(mlflow)
    real = run_gc_playbook(mlflow, mlflow_gc_experiment_ids=[int(exp_id)]).assert_ok()
    assert [e["experiment_id"] for e in real.result("Purge through the trash API (PERMANENT)")["experiments"]] == [exp_id]
    assert exp_id not in trash_ids(mlflow)


def test_gc_playbook_exec_way_in_check_mode_runs_nothing_in_the_pod(mlflow, uid):
    """The k8s_exec way cannot run here (no cluster); in check mode it only lists the trash and skips the exec."""
    name = "gc-exec-%s" % uid
    exp_id, _runs = make_experiment(mlflow, name)
    delete_experiment(mlflow, exp_id)
    run = run_gc_playbook(mlflow, check=True, mlflow_gc_method="exec", mlflow_gc_pod="mlflow-0",
                          mlflow_gc_experiments=[name]).assert_ok()
    assert run.result("Show what is in the trash (selected, or all with mlflow_gc_purge_all)")["msg"] == [name]
    assert run.task("Run the guide's mlflow gc in the pod (PERMANENT; skipped in check mode)")["status"] == "skipped"
    assert exp_id in trash_ids(mlflow)
    bad = run_gc_playbook(mlflow, check=True, mlflow_gc_method="exec", mlflow_gc_pod="mlflow-0")
    assert bad.rc != 0 and "mlflow_gc_purge_all=true alone" in bad.result("Check the garbage collection settings")["msg"]
    mlflow.run(gc_task(experiment_ids=[exp_id])).assert_ok()
