"""mlflow_experiment / mlflow_experiment_info against a real mlflow-oidc-auth server."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402
import servers as server_harness  # noqa: E402


def exp_task(**args):
    return [{"name": "exp", "prokube.mlflow.mlflow_experiment": args, "register": "out"}]


def test_create_then_rerun(mlflow, uid):
    name = "ds-team-alpha-exp1-%s" % uid
    check, real, again = check_real_rerun(mlflow, exp_task(name=name, tags={"team": "alpha"}), "exp",
                                          lambda: mlflow.experiment(name))
    assert check.result("exp")["diff"]["before"] == {}
    assert check.result("exp")["diff"]["after"]["name"] == name
    exp = mlflow.experiment(name)
    assert exp["lifecycle_stage"] == "active"
    assert {"key": "team", "value": "alpha"} in exp["tags"]
    assert real.result("exp")["experiment"]["experiment_id"] == exp["experiment_id"]
    assert again.result("exp")["experiment"]["tags"]["team"] == "alpha"
    assert again.result("exp")["api_generation"] == "8.0+"


def test_request_counts(mlflow, uid):
    name = "count-%s" % uid
    real = mlflow.run(exp_task(name=name)).assert_ok()
    again = mlflow.run(exp_task(name=name)).assert_ok()
    # probe + lookup + create + read back; probe + lookup
    assert real.result("exp")["http_requests"] == 4
    assert again.result("exp")["http_requests"] == 2


def tags_of(mlflow, name):
    return {t["key"]: t["value"] for t in mlflow.experiment(name).get("tags", []) if not t["key"].startswith("mlflow.")}


def test_tag_change_and_purge(mlflow, uid):
    name = "tags-%s" % uid
    mlflow.run(exp_task(name=name, tags={"a": "1", "b": "2"})).assert_ok()
    _c, real, _a = check_real_rerun(mlflow, exp_task(name=name, tags={"a": "changed"}), "exp",
                                    lambda: tags_of(mlflow, name))
    assert tags_of(mlflow, name) == {"a": "changed", "b": "2"}
    assert real.result("exp")["diff"]["before"]["tags"]["a"] == "1"
    check_real_rerun(mlflow, exp_task(name=name, tags={"a": "changed"}, purge_tags=True), "exp",
                     lambda: tags_of(mlflow, name))
    assert tags_of(mlflow, name) == {"a": "changed"}


def test_soft_delete_restore_and_absent_when_absent(mlflow, uid):
    name = "life-%s" % uid
    mlflow.run(exp_task(name=name)).assert_ok()
    check_real_rerun(mlflow, exp_task(name=name, state="absent"), "exp", lambda: mlflow.experiment(name))
    assert mlflow.experiment(name)["lifecycle_stage"] == "deleted"
    check_real_rerun(mlflow, exp_task(name=name), "exp", lambda: mlflow.experiment(name))
    assert mlflow.experiment(name)["lifecycle_stage"] == "active"
    never = "never-%s" % uid
    check_real_rerun(mlflow, exp_task(name=never, state="absent"), "exp", lambda: mlflow.experiment(never),
                     expect_change=False)
    assert mlflow.experiment(never) is None


def test_artifact_location_mismatch_is_reported(mlflow, uid, tmp_path):
    name = "art-%s" % uid
    mlflow.run(exp_task(name=name)).assert_ok()
    run = mlflow.run(exp_task(name=name, artifact_location="file:///elsewhere")).assert_ok()
    res = run.result("exp")
    assert res["changed"] is False
    assert res["artifact_location_mismatch"]["requested"] == "file:///elsewhere"
    assert any("artifact location" in w for w in res.get("warnings", []))


def test_wrong_password_is_one_clear_line(mlflow, uid):
    run = mlflow.run(exp_task(name="x-%s" % uid), defaults=mlflow.defaults(password="wrong"))
    assert run.rc != 0
    msg = run.result("exp")["msg"]
    assert "authentication failed (401" in msg and "personal access token" in msg
    assert "\n" not in msg
    assert mlflow.experiment("x-%s" % uid) is None


def test_user_without_grant_gets_clear_403(mlflow, server_info, uid):
    name = "private-%s" % uid
    mlflow.run(exp_task(name=name)).assert_ok()
    bob = "bob-%s@example.com" % uid
    tokens = server_harness.idp_sign_in(server_info["idp"], mlflow.url, bob, groups=["mlflow"])
    server_harness.idp_login_to_mlflow(server_info["idp"], mlflow.url, bob, groups=["mlflow"])
    run = mlflow.run(exp_task(name=name, tags={"owner": "bob"}),
                     defaults={"tracking_uri": mlflow.url, "token": tokens["id_token"]})
    assert run.rc != 0
    msg = run.result("exp")["msg"]
    assert "permission denied (403" in msg and "MANAGE" in msg, msg
    assert "owner" not in {t["key"] for t in mlflow.experiment(name).get("tags", [])}


def test_env_vars_configure_the_connection(mlflow, uid):
    name = "env-%s" % uid
    run = mlflow.run(exp_task(name=name), defaults=None, env=mlflow.env()).assert_ok()
    assert run.changed("exp") is True
    assert mlflow.experiment(name)["name"] == name


def test_module_defaults_group_configures_the_connection(mlflow, uid):
    name = "md-%s" % uid
    run = mlflow.run(exp_task(name=name) + [{"name": "info", "prokube.mlflow.mlflow_experiment_info": {"name": name},
                                             "register": "info"}]).assert_ok()
    assert run.result("info")["experiments"][0]["name"] == name


def test_token_wins_over_basic_credentials(mlflow, server_info, uid):
    """module_defaults carries (broken) basic credentials; a task-level bearer token takes precedence."""
    name = "bearer-%s" % uid
    tasks = exp_task(name=name, token=server_info["admin_id_token"])
    run = mlflow.run(tasks, defaults=mlflow.defaults(password="not-the-token")).assert_ok()
    assert run.changed("exp") is True


def test_contradictory_tls_settings_rejected(mlflow, uid, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    run = mlflow.run(exp_task(name="tls-%s" % uid, validate_certs=False, ca_path=str(ca)))
    assert run.rc != 0
    assert "contradictory TLS settings" in run.result("exp")["msg"]


def test_info_by_id_filter_and_deleted(mlflow, uid):
    names = ["info-%s-%d" % (uid, i) for i in range(3)]
    for n in names:
        mlflow.run(exp_task(name=n)).assert_ok()
    mlflow.run(exp_task(name=names[2], state="absent")).assert_ok()
    tasks = [
        {"name": "active", "prokube.mlflow.mlflow_experiment_info": {"filter": "name LIKE 'info-%s-%%'" % uid}},
        {"name": "all", "prokube.mlflow.mlflow_experiment_info": {"filter": "name LIKE 'info-%s-%%'" % uid,
                                                                  "include_deleted": True}},
        {"name": "deleted", "prokube.mlflow.mlflow_experiment_info": {"deleted_only": True}},
        {"name": "byname", "prokube.mlflow.mlflow_experiment_info": {"name": names[2]}},
        {"name": "missing", "prokube.mlflow.mlflow_experiment_info": {"name": "nope-%s" % uid}},
    ]
    run = mlflow.run(tasks, check=True).assert_ok()
    assert sorted(e["name"] for e in run.result("active")["experiments"]) == names[:2]
    assert sorted(e["name"] for e in run.result("all")["experiments"]) == names
    assert names[2] in [e["name"] for e in run.result("deleted")["experiments"]]
    byname = run.result("byname")["experiments"][0]
    assert byname["lifecycle_stage"] == "deleted"
    by_id = mlflow.run([{"name": "byid", "prokube.mlflow.mlflow_experiment_info": {
        "experiment_id": byname["experiment_id"]}}]).assert_ok()
    assert by_id.result("byid")["experiments"][0]["name"] == names[2]
    assert run.result("missing")["experiments"] == []
