"""mlflow_group_permission / mlflow_user_permission / mlflow_permission_info against a real mlflow-oidc-auth server.

Groups are created with a direct POST /permissions/groups and service accounts with POST /users (the modules for
them are tested elsewhere). Every grant is read back over REST as admin.
"""
import datetime
import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402
import servers as server_harness  # noqa: E402

API = "/api/2.0/mlflow"
PERM = API + "/permissions"


# ------------------------------------------------------------------ set-up over REST
def make_group(mlflow, name):
    r = mlflow.rest.post(mlflow.url + PERM + "/groups", json={"group_name": name})
    assert r.status_code in (200, 201), r.text
    return name


def make_service_account(mlflow, name):
    body = {"username": name, "display_name": name, "is_admin": False, "is_service_account": True}
    r = mlflow.rest.post(mlflow.url + API + "/users", json=body)
    assert r.status_code in (200, 201), r.text
    return name


def make_experiment(mlflow, name):
    r = mlflow.rest.post(mlflow.url + API + "/experiments/create", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()["experiment_id"]


def make_model(mlflow, name, prompt=False):
    body = {"name": name}
    if prompt:
        body["tags"] = [{"key": "mlflow.prompt.is_prompt", "value": "true"}]
    r = mlflow.rest.post(mlflow.url + API + "/registered-models/create", json=body)
    assert r.status_code == 200, r.text
    return name


def rest_grant(mlflow, subject_path, typ, key, level):
    r = mlflow.rest.post("%s%s/%s/%s/%s" % (mlflow.url, PERM, subject_path, typ, key), json={"permission": level})
    assert r.status_code in (200, 201), r.text


# ------------------------------------------------------------------ reading back
def group_grants(mlflow, group, typ):
    status, body = mlflow.get("%s/groups/%s/%s" % (PERM, group, typ))
    assert status == 200, body
    return {(row.get("id") or row["name"]): row["permission"] for row in body}


def user_grant(mlflow, user, typ, key):
    status, body = mlflow.get("%s/users/%s/%s/%s" % (PERM, user, typ, key))
    if status == 404:
        return None
    assert status == 200, body
    return next(v["permission"] for v in body.values())


def patterns(mlflow, subject_path, typ):
    status, body = mlflow.get("%s/%s/%s" % (PERM, subject_path, typ))
    assert status == 200, body
    return {p["regex"]: (p["permission"], p["priority"]) for p in body}


def gtask(**args):
    return [{"name": "grant", "prokube.mlflow.mlflow_group_permission": args, "register": "out"}]


def utask(**args):
    return [{"name": "grant", "prokube.mlflow.mlflow_user_permission": args, "register": "out"}]


def mint_token(mlflow, server_info, username):
    """A personal access token for a service account (minting needs an interactive sign-in: the admin's id_token)."""
    id_token = server_harness.idp_refresh(server_info["idp"], server_info["admin_refresh_token"])["id_token"]
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r = requests.post("%s%s/users/%s/tokens" % (mlflow.url, API, username), json={"name": "t", "expiration": expires},
                      headers={"Authorization": "Bearer " + id_token}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def can_read(mlflow, exp_id, auth=None, bearer=None):
    headers = {"Authorization": "Bearer " + bearer} if bearer else {}
    r = requests.get(mlflow.url + API + "/experiments/get", params={"experiment_id": exp_id}, auth=auth,
                     headers=headers, timeout=30)
    assert r.status_code in (200, 403), (r.status_code, r.text)
    return r.status_code == 200


# ------------------------------------------------------------------ group grants: create, change, revoke
@pytest.mark.parametrize("typ, route", [("experiment", "experiments"), ("registered_model", "registered-models"),
                                        ("prompt", "prompts")])
def test_group_grant_create_change_revoke(mlflow, uid, typ, route):
    group = make_group(mlflow, "ds-team-alpha-%s" % uid)
    name = "ds-team-alpha-%s-%s" % (typ.replace("_", "-"), uid)
    if typ == "experiment":
        key = make_experiment(mlflow, name)
    else:
        key = make_model(mlflow, name, prompt=(typ == "prompt"))

    def snap():
        return group_grants(mlflow, group, route)

    check, real, _again = check_real_rerun(mlflow, gtask(group=group, permission="EDIT", **{typ: name}), "grant", snap)
    assert snap() == {key: "EDIT"}
    assert check.result("grant")["drift"]["added"][0]["permission"] == "EDIT"
    assert check.result("grant")["diff"]["after"] == {typ + "s": {name: "EDIT"}}
    assert real.result("grant")["grant"]["state"] == "present"

    check, _real, _again = check_real_rerun(mlflow, gtask(group=group, permission="READ", **{typ: name}), "grant", snap)
    assert snap() == {key: "READ"}
    assert check.result("grant")["drift"]["changed"] == [
        dict({"type": typ, "name": name, "permission": "READ", "previous_permission": "EDIT"},
             **({"experiment_id": key} if typ == "experiment" else {}))]

    check, _real, _again = check_real_rerun(mlflow, gtask(group=group, state="absent", **{typ: name}), "grant", snap)
    assert snap() == {}
    assert check.result("grant")["drift"]["removed"][0]["permission"] == "READ"
    if typ == "registered_model":  # a group's prompt grants are not touched by model grants, and vice versa
        assert group_grants(mlflow, group, "prompts") == {}


def test_group_grant_by_experiment_id_and_no_op_cost(mlflow, uid):
    group = make_group(mlflow, "g-%s" % uid)
    exp_id = make_experiment(mlflow, "byid-%s" % uid)
    check_real_rerun(mlflow, gtask(group=group, experiment_id=exp_id, permission="MANAGE"), "grant",
                     lambda: group_grants(mlflow, group, "experiments"))
    again = mlflow.run(gtask(group=group, experiment_id=exp_id, permission="MANAGE")).assert_ok()
    # probe + group exists + the group's experiment listing
    assert again.result("grant")["http_requests"] == 3


# ------------------------------------------------------------------ users and service accounts
def test_service_account_grant_and_proof(mlflow, server_info, uid):
    svc = make_service_account(mlflow, "svc-alpha-%s" % uid)
    other = make_service_account(mlflow, "svc-other-%s" % uid)
    name = "svc-exp-%s" % uid
    exp_id = make_experiment(mlflow, name)
    _c, real, again = check_real_rerun(mlflow, utask(user=svc, experiment=name, permission="READ"), "grant",
                                       lambda: user_grant(mlflow, svc, "experiments", exp_id))
    assert user_grant(mlflow, svc, "experiments", exp_id) == "READ"
    assert real.result("grant")["is_service_account"] is True
    assert again.result("grant")["http_requests"] == 3  # probe + user + the user's experiment listing
    assert can_read(mlflow, exp_id, auth=(svc, mint_token(mlflow, server_info, svc)))
    assert not can_read(mlflow, exp_id, auth=(other, mint_token(mlflow, server_info, other)))
    # and revoked, it cannot read any more
    check_real_rerun(mlflow, utask(user=svc, experiment=name, state="absent"), "grant",
                     lambda: user_grant(mlflow, svc, "experiments", exp_id))
    assert user_grant(mlflow, svc, "experiments", exp_id) is None


def test_user_grant_on_model_and_prompt(mlflow, uid):
    svc = make_service_account(mlflow, "svc-rm-%s" % uid)
    model = make_model(mlflow, "rm-%s" % uid)
    prompt = make_model(mlflow, "pr-%s" % uid, prompt=True)
    tasks = utask(user=svc, grants=[{"registered_model": model, "permission": "EDIT"},
                                    {"prompt": prompt, "permission": "USE"}])
    check_real_rerun(mlflow, tasks, "grant", lambda: (user_grant(mlflow, svc, "registered-models", model),
                                                      user_grant(mlflow, svc, "prompts", prompt)))
    assert user_grant(mlflow, svc, "registered-models", model) == "EDIT"
    assert user_grant(mlflow, svc, "prompts", prompt) == "USE"
    # a prompt named as a registered model (and the reverse) is refused
    run = mlflow.run(utask(user=svc, registered_model=prompt, permission="READ"))
    assert run.rc != 0 and "it is a prompt" in run.result("grant")["msg"]


def test_idp_user_read_grant_and_explicit_deny(mlflow, server_info, uid):
    """A signed-in user reads with READ, gets 403 without a grant, and NO_PERMISSIONS beats the group's READ."""
    group = make_group(mlflow, "readers-%s" % uid)
    alice = "alice-%s@example.com" % uid
    bob = "bob-%s@example.com" % uid
    server_harness.idp_login_to_mlflow(server_info["idp"], mlflow.url, alice, groups=["mlflow", group])
    server_harness.idp_login_to_mlflow(server_info["idp"], mlflow.url, bob, groups=["mlflow"])
    alice_token = server_harness.idp_sign_in(server_info["idp"], mlflow.url, alice, groups=["mlflow", group])["id_token"]
    bob_token = server_harness.idp_sign_in(server_info["idp"], mlflow.url, bob, groups=["mlflow"])["id_token"]
    name = "guarded-%s" % uid
    exp_id = make_experiment(mlflow, name)
    assert not can_read(mlflow, exp_id, bearer=bob_token)
    mlflow.run(utask(user=bob, experiment=name, permission="READ")).assert_ok()
    assert can_read(mlflow, exp_id, bearer=bob_token)

    mlflow.run(gtask(group=group, experiment=name, permission="READ")).assert_ok()
    assert can_read(mlflow, exp_id, bearer=alice_token)
    check_real_rerun(mlflow, utask(user=alice, experiment=name, permission="NO_PERMISSIONS"), "grant",
                     lambda: user_grant(mlflow, alice, "experiments", exp_id))
    assert user_grant(mlflow, alice, "experiments", exp_id) == "NO_PERMISSIONS"
    assert not can_read(mlflow, exp_id, bearer=alice_token)


def test_user_grant_hidden_behind_group_source_is_found(mlflow, server_info, uid):
    """The user's listing reports a group-sourced level; the module must still see the user's own grant."""
    group = make_group(mlflow, "shadow-%s" % uid)
    carol = "carol-%s@example.com" % uid
    server_harness.idp_login_to_mlflow(server_info["idp"], mlflow.url, carol, groups=["mlflow", group])
    name = "shadow-%s" % uid
    exp_id = make_experiment(mlflow, name)
    rest_grant(mlflow, "groups/" + group, "experiments", exp_id, "READ")
    check_real_rerun(mlflow, utask(user=carol, experiment=name, permission="EDIT"), "grant",
                     lambda: user_grant(mlflow, carol, "experiments", exp_id))
    assert user_grant(mlflow, carol, "experiments", exp_id) == "EDIT"


# ------------------------------------------------------------------ pattern grants
def test_pattern_grant(mlflow, uid):
    group = make_group(mlflow, "pat-%s" % uid)
    regex = "^alpha-%s-.*" % uid

    def snap():
        return patterns(mlflow, "groups/" + group, "prompts-patterns")

    check_real_rerun(mlflow, gtask(group=group, pattern=regex, resource_type="prompt", permission="READ", priority=10),
                     "grant", snap)
    assert snap() == {regex: ("READ", 10)}
    check, _r, _a = check_real_rerun(mlflow, gtask(group=group, pattern=regex, resource_type="prompt",
                                                   permission="EDIT"), "grant", snap)
    assert snap() == {regex: ("EDIT", 10)}  # priority omitted: kept
    assert check.result("grant")["drift"]["changed"][0]["previous_permission"] == "READ"
    # users too (their pattern ids are strings)
    svc = make_service_account(mlflow, "svc-pat-%s" % uid)
    check_real_rerun(mlflow, utask(user=svc, pattern=regex, resource_type="experiment", permission="READ"), "grant",
                     lambda: patterns(mlflow, "users/" + svc, "experiment-patterns"))
    assert patterns(mlflow, "users/" + svc, "experiment-patterns") == {regex: ("READ", 100)}
    check_real_rerun(mlflow, gtask(group=group, pattern=regex, resource_type="prompt", state="absent"), "grant", snap)
    assert snap() == {}


# ------------------------------------------------------------------ the list form
def test_list_exclusive_drift_report_and_ten_grant_noop_cost(mlflow, uid):
    group = make_group(mlflow, "team-%s" % uid)
    exps = ["team-%s-exp%d" % (uid, i) for i in range(6)]
    ids = [make_experiment(mlflow, n) for n in exps]
    models = [make_model(mlflow, "team-%s-model%d" % (uid, i)) for i in range(2)]
    prompts = [make_model(mlflow, "team-%s-prompt%d" % (uid, i), prompt=True) for i in range(2)]
    stray_exp = make_experiment(mlflow, "team-%s-stray" % uid)
    rest_grant(mlflow, "groups/" + group, "experiments", stray_exp, "MANAGE")  # undeclared: exclusive removes it
    rest_grant(mlflow, "groups/" + group, "experiments", ids[0], "READ")       # declared EDIT: changed
    grants = ([{"experiment": n, "permission": "EDIT"} for n in exps[:3]] +
              [{"experiment_id": i, "permission": "READ"} for i in ids[3:]] +
              [{"registered_model": m, "permission": "READ"} for m in models] +
              [{"prompt": p, "permission": "USE"} for p in prompts])
    assert len(grants) == 10
    tasks = gtask(group=group, grants=grants, exclusive=True)

    def snap():
        return [group_grants(mlflow, group, t) for t in ("experiments", "registered-models", "prompts")]

    check, real, again = check_real_rerun(mlflow, tasks, "grant", snap)
    drift = check.result("grant")["drift"]
    assert drift["removed"] == [{"type": "experiment", "experiment_id": stray_exp, "name": "team-%s-stray" % uid,
                                 "permission": "MANAGE"}]
    assert [c["experiment_id"] for c in drift["changed"]] == [ids[0]]
    assert len(drift["added"]) == 9
    assert check.result("grant")["diff"]["before"]["experiments"]["team-%s-stray" % uid] == "MANAGE"
    assert real.result("grant")["drift"] == drift
    exp_grants, model_grants, prompt_grants = snap()
    assert stray_exp not in exp_grants and exp_grants[ids[0]] == "EDIT" and exp_grants[ids[5]] == "READ"
    assert sorted(model_grants) == sorted(models + prompts)  # the server's model listing includes prompt grants
    assert prompt_grants == dict((p, "USE") for p in prompts)
    # no-op rerun of the 10-grant list: probe + group + 3 listings (experiments, registered models, prompts)
    assert again.result("grant")["http_requests"] == 5, again.result("grant")["http_requests"]
    assert again.result("grant")["drift"] == {"added": [], "changed": [], "removed": []}


# ------------------------------------------------------------------ failures: one line, nothing written
def test_missing_experiment_unknown_user_unknown_group(mlflow, uid):
    group = make_group(mlflow, "err-%s" % uid)
    exp_id = make_experiment(mlflow, "err-exp-%s" % uid)
    run = mlflow.run(gtask(group=group, grants=[{"experiment_id": exp_id, "permission": "READ"},
                                                {"experiment": "nope-%s" % uid, "permission": "READ"}]))
    msg = run.result("grant")["msg"]
    assert run.rc != 0 and "experiment 'nope-%s'" % uid in msg and "nothing was changed" in msg and "\n" not in msg
    assert group_grants(mlflow, group, "experiments") == {}  # the valid grant of the list was not written either

    run = mlflow.run(gtask(group=group, experiment_id="987654321", permission="READ"))
    assert run.rc != 0 and "experiment id 987654321" in run.result("grant")["msg"]
    run = mlflow.run(gtask(group=group, registered_model="nomodel-%s" % uid, permission="READ"))
    assert run.rc != 0 and "registered model 'nomodel-%s'" % uid in run.result("grant")["msg"]
    assert group_grants(mlflow, group, "experiments") == {} and group_grants(mlflow, group, "registered-models") == {}

    ghost = "ghost-%s@example.com" % uid
    run = mlflow.run(utask(user=ghost, experiment_id=exp_id, permission="READ"))
    msg = run.result("grant")["msg"]
    assert run.rc != 0 and "user %r does not exist" % ghost in msg and "\n" not in msg
    assert user_grant(mlflow, ghost, "experiments", exp_id) is None

    nogroup = "nogroup-%s" % uid
    run = mlflow.run(gtask(group=nogroup, experiment_id=exp_id, permission="READ"))
    msg = run.result("grant")["msg"]
    assert run.rc != 0 and "group %r does not exist" % nogroup in msg and "prokube.mlflow.mlflow_group" in msg
    status, groups = mlflow.get(PERM + "/groups")
    assert nogroup not in groups


def test_invalid_level_rejected_before_any_request(mlflow, uid):
    run = mlflow.run(gtask(group="any-%s" % uid, experiment="x", permission="WRITE"))
    res = run.result("grant")
    assert run.rc != 0 and "permission" in res["msg"] and "WRITE" in res["msg"]
    assert res.get("http_requests", 0) == 0
    run = mlflow.run(gtask(group="any-%s" % uid, grants=[{"experiment": "x", "permission": "WRITE"}]))
    assert run.rc != 0 and run.result("grant").get("http_requests", 0) == 0


# ------------------------------------------------------------------ mlflow_permission_info
def test_permission_info(mlflow, uid):
    group = make_group(mlflow, "info-%s" % uid)
    svc = make_service_account(mlflow, "svc-info-%s" % uid)
    name = "info-exp-%s" % uid
    exp_id = make_experiment(mlflow, name)
    prompt = make_model(mlflow, "info-prompt-%s" % uid, prompt=True)
    mlflow.run(gtask(group=group, grants=[{"experiment": name, "permission": "EDIT"}, {"prompt": prompt, "permission": "READ"},
                                          {"pattern": "^info-.*", "resource_type": "experiment", "permission": "READ"}])
               ).assert_ok()
    mlflow.run(utask(user=svc, experiment=name, permission="READ")).assert_ok()
    tasks = [
        {"name": "group", "prokube.mlflow.mlflow_permission_info": {"group": group}},
        {"name": "user", "prokube.mlflow.mlflow_permission_info": {"user": svc}},
        {"name": "exp", "prokube.mlflow.mlflow_permission_info": {"experiment": name}},
        {"name": "prompt", "prokube.mlflow.mlflow_permission_info": {"prompt": prompt}},
        {"name": "nogroup", "prokube.mlflow.mlflow_permission_info": {"group": "none-%s" % uid}},
    ]
    run = mlflow.run(tasks, check=True).assert_ok()
    g = run.result("group")
    assert g["grants"] == {"experiments": [{"experiment_id": exp_id, "name": name, "permission": "EDIT"}],
                           "registered_models": [], "prompts": [{"name": prompt, "permission": "READ"}]}
    assert [(p["pattern"], p["permission"]) for p in g["patterns"]["experiment"]] == [("^info-.*", "READ")]
    u = run.result("user")
    assert u["is_service_account"] is True
    assert u["grants"]["experiments"] == [{"experiment_id": exp_id, "name": name, "permission": "READ"}]
    e = run.result("exp")
    assert {"name": svc, "permission": "READ", "kind": "service-account"} in e["users"]
    assert e["groups"] == [{"name": group, "permission": "EDIT"}]
    assert run.result("prompt")["groups"] == [{"name": group, "permission": "READ"}]
    assert run.result("nogroup")["exists"] is False
