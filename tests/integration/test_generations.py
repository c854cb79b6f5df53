"""The same modules and playbooks on both API generations: mlflow-oidc-auth 11.x and the admin guide's own 5.x (5.7.0).

Every module runs through the ``target`` fixture (11.x, then 5.x): --check predicts and writes nothing, the real run
changes, the rerun does not, and the state is read back over REST. Then what cannot exist on 5.x is said in one line
(USE level, named tokens, group creation, the trash API, group names with "/", deactivation), the guide's six calls
are replayed on 5.x with their outcomes asserted (the service account reads the experiment only after its grant),
and the team_workspace role runs on 5.x.
"""
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
import ansible_runner  # noqa: E402
from scenario import check_real_rerun  # noqa: E402

MLFLOW = "/api/2.0/mlflow"
PERMISSIONS = MLFLOW + "/permissions"
GENERATION = {"mlflow11": "8.0+", "mlflow5": "5.x"}
# Groups that exist on both servers without a login: created by mlflow_group on 11.x, pre-created on 5.x
# (tests/harness/servers.py DEFAULT_MLFLOW5_GROUPS), because 5.x cannot create groups.
GROUP_5 = "gen-test-a"


def is5(target):
    return target.name == "mlflow5"


def user_of(target, name):
    """The user as the server stores it, or None (5.x: GET users/get?username=, wrapped in {"user"})."""
    if is5(target):
        status, body = target.get(MLFLOW + "/users/get", username=name)
        return body["user"] if status == 200 else None
    status, body = target.get(MLFLOW + "/users/" + name)
    return body if status == 200 else None


def whoami(target, user, token):
    """Basic auth with the username and the token, as a pipeline uses them."""
    path = PERMISSIONS + "/users/current" if is5(target) else MLFLOW + "/users/current"
    r = requests.get(target.url + path, auth=(user, token), timeout=30)
    return r.status_code, (r.json().get("username") if r.status_code == 200 and "json" in r.headers.get("Content-Type", "") else None)


def group_experiment_grants(target, group):
    status, body = target.get(PERMISSIONS + "/groups/%s/experiments" % requests.utils.quote(group, safe=":"))
    assert status == 200, body
    return dict((str(row["id"]), row["permission"]) for row in body)


def user_grant(target, user, experiment_id):
    status, body = target.get(PERMISSIONS + "/users/%s/experiments/%s" % (user, experiment_id))
    return body["experiment_permission"]["permission"] if status == 200 else None


def make_group(target, uid):
    """A group grants can go to: created on 11.x, a pre-created one on 5.x."""
    if is5(target):
        return GROUP_5
    name = "gen-grp-%s" % uid
    target.run([{"name": "g", "prokube.mlflow.mlflow_group": {"name": name}}]).assert_ok()
    return name


def make_experiment(target, name):
    target.run([{"name": "e", "prokube.mlflow.mlflow_experiment": {"name": name}}]).assert_ok()
    return target.experiment(name)["experiment_id"]


def make_service_account(target, name):
    target.run([{"name": "sa", "prokube.mlflow.mlflow_service_account": {"name": name}}]).assert_ok()


def token_tasks(path, **args):
    """The token task, then the minted token (if any) written to a file without ever being shown."""
    return [
        {"name": "tok", "prokube.mlflow.mlflow_token": args, "register": "out"},
        {"name": "save", "ansible.builtin.copy": {"content": "{{ out.token }}", "dest": str(path), "mode": "0600"},
         "no_log": True, "diff": False, "when": "out.token is defined"},
    ]


def failed_before_writing(run, name, words):
    assert run.rc != 0, run.output
    res = run.result(name)
    assert words in res["msg"], res["msg"]
    assert "\n" not in res["msg"]
    assert res["changed"] is False
    return res


# ------------------------------------------------------------------------------------------ every module, both servers
def test_experiment_and_info(target, uid):
    name = "gen-exp-%s" % uid
    task = [{"name": "exp", "prokube.mlflow.mlflow_experiment": {"name": name, "tags": {"team": "gen"}}}]
    check, real, again = check_real_rerun(target, task, "exp", lambda: target.experiment(name))
    assert again.result("exp")["api_generation"] == GENERATION[target.name]
    exp = target.experiment(name)
    assert exp["lifecycle_stage"] == "active"
    assert {"key": "team", "value": "gen"} in exp["tags"]
    info = target.run([{"name": "info", "prokube.mlflow.mlflow_experiment_info": {"name": name}}]).assert_ok().result("info")
    assert [e["experiment_id"] for e in info["experiments"]] == [exp["experiment_id"]]
    assert info["api_generation"] == GENERATION[target.name]


def test_registered_model_and_prompt(target, uid):
    model, prompt = "gen-model-%s" % uid, "gen-prompt-%s" % uid

    def read(name):
        status, body = target.get(MLFLOW + "/registered-models/get", name=name)
        return body["registered_model"] if status == 200 else None

    task = [{"name": "rm", "prokube.mlflow.mlflow_registered_model": {"name": model, "description": "generation test"}}]
    check_real_rerun(target, task, "rm", lambda: read(model))
    assert read(model)["description"] == "generation test"
    task = [{"name": "p", "prokube.mlflow.mlflow_prompt": {"name": prompt, "template": "Hello {{ '{{' }}name{{ '}}' }}"}}]
    check, real, again = check_real_rerun(target, task, "p", lambda: read(prompt))
    assert {"key": "mlflow.prompt.is_prompt", "value": "true"} in read(prompt)["tags"]
    assert again.result("p")["latest_version"]["template"] == "Hello {{name}}"
    assert again.result("p")["api_generation"] == GENERATION[target.name]


def test_group(target, uid):
    def groups():
        return target.get(PERMISSIONS + "/groups")[1]

    if is5(target):
        # 5.x: an existing group is fine, unchanged; a missing one fails with the explanation, in check mode too
        for check in (True, False):
            run = target.run([{"name": "g", "prokube.mlflow.mlflow_group": {"name": GROUP_5}}], check=check).assert_ok()
            assert run.changed("g") is False and run.result("g")["api_generation"] == "5.x"
        missing = "gen-missing-%s" % uid
        for check in (True, False):
            run = target.run([{"name": "g", "prokube.mlflow.mlflow_group": {"name": missing}}], check=check)
            failed_before_writing(run, "g", "appears when one of its members first signs in")
        assert missing not in groups()
        return
    name = "gen-grp-%s" % uid
    check, real, again = check_real_rerun(target, [{"name": "g", "prokube.mlflow.mlflow_group": {"name": name}}], "g",
                                          lambda: name in groups())
    assert name in groups()
    assert again.result("g")["api_generation"] == "8.0+"


def test_service_account_user_info_and_delete(target, uid):
    sa, person = "gen-sa-%s" % uid, "gen-user-%s@example.com" % uid
    task = [{"name": "sa", "prokube.mlflow.mlflow_service_account": {"name": sa, "display_name": "Gen SA %s" % uid}}]
    check_real_rerun(target, task, "sa", lambda: user_of(target, sa))
    stored = user_of(target, sa)
    assert stored["is_service_account"] is True and stored["display_name"] == "Gen SA %s" % uid

    # is_admin on and off (5.x: through a re-POST of users/create with both flags; update-admin is broken there)
    for flag in (True, False):
        task = [{"name": "u", "prokube.mlflow.mlflow_user": {"name": person, "is_admin": flag}}]
        check_real_rerun(target, task, "u", lambda: user_of(target, person))
        assert user_of(target, person)["is_admin"] is flag
        assert user_of(target, person)["is_service_account"] is False

    info = target.run([{"name": "i", "prokube.mlflow.mlflow_user_info": {"name": sa}},
                       {"name": "all", "prokube.mlflow.mlflow_user_info": {"service_account": True}}]).assert_ok()
    (one,) = info.result("i")["users"]
    assert one["username"] == sa and one["service_account"] is True and one["tokens"] == []
    assert sa in [u["username"] for u in info.result("all")["users"]]
    assert person not in [u["username"] for u in info.result("all")["users"]]

    # delete a service account that holds a grant (5.x refuses with 400 until its grants are revoked)
    exp_id = make_experiment(target, "gen-del-%s" % uid)
    target.run([{"name": "up", "prokube.mlflow.mlflow_user_permission": {"user": sa, "experiment_id": exp_id,
                                                                         "permission": "READ"}}]).assert_ok()
    assert user_grant(target, sa, exp_id) == "READ"
    for name in (sa, person):
        module = "prokube.mlflow.mlflow_service_account" if name == sa else "prokube.mlflow.mlflow_user"
        check_real_rerun(target, [{"name": "d", module: {"name": name, "state": "absent"}}], "d",
                         lambda: user_of(target, name))
        assert user_of(target, name) is None


def test_group_and_user_permission_and_info(target, uid):
    exp_name, sa = "gen-perm-%s" % uid, "gen-psa-%s" % uid
    exp_id = make_experiment(target, exp_name)
    group = make_group(target, uid)
    make_service_account(target, sa)

    task = [{"name": "gp", "prokube.mlflow.mlflow_group_permission": {"group": group, "experiment": exp_name, "permission": "EDIT"}}]
    check_real_rerun(target, task, "gp", lambda: group_experiment_grants(target, group).get(exp_id))
    assert group_experiment_grants(target, group)[exp_id] == "EDIT"
    task = [{"name": "gp", "prokube.mlflow.mlflow_group_permission": {"group": group, "experiment": exp_name, "permission": "READ"}}]
    check_real_rerun(target, task, "gp", lambda: group_experiment_grants(target, group).get(exp_id))
    assert group_experiment_grants(target, group)[exp_id] == "READ"

    task = [{"name": "up", "prokube.mlflow.mlflow_user_permission": {"user": sa, "experiment": exp_name, "permission": "EDIT"}}]
    check, real, again = check_real_rerun(target, task, "up", lambda: user_grant(target, sa, exp_id))
    assert user_grant(target, sa, exp_id) == "EDIT"
    assert again.result("up")["api_generation"] == GENERATION[target.name]

    info = target.run([{"name": "res", "prokube.mlflow.mlflow_permission_info": {"experiment": exp_name}},
                       {"name": "grp", "prokube.mlflow.mlflow_permission_info": {"group": group}},
                       {"name": "usr", "prokube.mlflow.mlflow_permission_info": {"user": sa}}]).assert_ok()
    res = info.result("res")
    assert {"name": group, "permission": "READ"} in res["groups"]
    assert [u["permission"] for u in res["users"] if u["name"] == sa] == ["EDIT"]
    assert {"experiment_id": exp_id, "name": exp_name, "permission": "READ"} in info.result("grp")["grants"]["experiments"]
    assert info.result("usr")["grants"]["experiments"] == [{"experiment_id": exp_id, "name": exp_name, "permission": "EDIT"}]

    # revoking: state=absent on both
    task = [{"name": "up", "prokube.mlflow.mlflow_user_permission": {"user": sa, "experiment": exp_name, "state": "absent"}}]
    check_real_rerun(target, task, "up", lambda: user_grant(target, sa, exp_id))
    assert user_grant(target, sa, exp_id) is None


def test_use_level(target, uid):
    """USE exists from 6.0: granted on 11.x, refused on 5.x in one line before anything is written."""
    exp_name, sa = "gen-use-%s" % uid, "gen-usa-%s" % uid
    exp_id = make_experiment(target, exp_name)
    make_service_account(target, sa)
    task = [{"name": "up", "prokube.mlflow.mlflow_user_permission": {"user": sa, "experiment": exp_name, "permission": "USE"}}]
    if is5(target):
        for check in (True, False):
            failed_before_writing(target.run(task, check=check), "up", "permission USE is not known to this server (mlflow-oidc-auth 5.x)")
        assert user_grant(target, sa, exp_id) is None
    else:
        check_real_rerun(target, task, "up", lambda: user_grant(target, sa, exp_id))
        assert user_grant(target, sa, exp_id) == "USE"


def test_token(target, uid, tmp_path):
    """Minting with the same connection settings on both (an IdP sign-in; 5.x accepts the ID token as Bearer)."""
    sa = "gen-tok-%s" % uid
    make_service_account(target, sa)
    saved = tmp_path / "token"

    def expiry():
        info = target.run([{"name": "i", "prokube.mlflow.mlflow_user_info": {"name": sa}}]).assert_ok().result("i")
        return [(t["name"], t["expires_at"]) for t in info["users"][0]["tokens"]]

    check, real, again = check_real_rerun(target, token_tasks(saved, user=sa, expires_in_days=90), "tok", expiry,
                                          defaults="oidc")
    token = saved.read_text()
    assert whoami(target, sa, token) == (200, sa), "the minted token authenticates as the service account"
    assert again.result("tok")["reason"].startswith("the token is valid until")
    assert again.result("tok")["api_generation"] == GENERATION[target.name]
    ((name, expires_at),) = expiry()
    assert name == "default" and expires_at[:10] == again.result("tok")["token_info"]["expires_at"][:10]

    # current_token proves the held token; rotate=always replaces it and the old one stops working at once
    keep = target.run(token_tasks(saved, user=sa, current_token=token), defaults="oidc").assert_ok()
    assert keep.changed("tok") is False
    saved.unlink()
    target.run(token_tasks(saved, user=sa, rotate="always"), defaults="oidc").assert_ok()
    new = saved.read_text()
    assert new != token
    assert whoami(target, sa, token)[0] == 401
    assert whoami(target, sa, new) == (200, sa)
    saved.unlink()
    stale = target.run(token_tasks(saved, user=sa, current_token=token), defaults="oidc").assert_ok()
    assert stale.changed("tok") is True, "a stale current_token causes a mint"
    assert whoami(target, sa, saved.read_text()) == (200, sa)


def test_token_features_of_5x(mlflow5, uid):
    """Named tokens and revocation do not exist on 5.x: one line each, nothing written."""
    sa = "gen-tk5-%s" % uid
    make_service_account(mlflow5, sa)
    before = user_of(mlflow5, sa)
    run = mlflow5.run(token_tasks("/nonexistent", user=sa, name="ci"))
    failed_before_writing(run, "tok", "named tokens (here 'ci') need mlflow-oidc-auth 8.0 or later")
    run = mlflow5.run(token_tasks("/nonexistent", user=sa, state="absent"))
    failed_before_writing(run, "tok", "cannot revoke a token")
    run = mlflow5.run([{"name": "u", "prokube.mlflow.mlflow_user": {"name": sa, "active": False}}])
    failed_before_writing(run, "u", "cannot deactivate or reactivate an account")
    assert user_of(mlflow5, sa) == before


def test_group_name_with_slash_on_5x(mlflow5, uid):
    exp_name = "gen-slash-%s" % uid
    make_experiment(mlflow5, exp_name)
    task = [{"name": "gp", "prokube.mlflow.mlflow_group_permission": {
        "group": "gen-test/slash", "experiment": exp_name, "permission": "READ"}}]
    failed_before_writing(mlflow5.run(task), "gp", "cannot be addressed on this server")


def test_gc(target, uid):
    """The trash API exists on 11.x only (5.x: one line pointing to the `mlflow gc` task file). stale_grants_only
    works on both: a grant on an id no experiment has is removed."""
    sa = "gen-gc-%s" % uid
    make_service_account(target, sa)
    ghost = str(800000000 + int(uid, 16) % 100000000)
    r = target.rest.post(target.url + PERMISSIONS + "/users/%s/experiments/%s" % (sa, ghost), json={"permission": "READ"})
    assert r.status_code in (200, 201), r.text
    assert user_grant(target, sa, ghost) == "READ"
    task = [{"name": "gc", "prokube.mlflow.mlflow_gc": {"experiment_ids": [ghost], "stale_grants_only": True}}]
    check, real, again = check_real_rerun(target, task, "gc", lambda: user_grant(target, sa, ghost))
    assert user_grant(target, sa, ghost) is None
    assert real.result("gc")["grants_removed"] == [{"experiment_id": ghost, "kind": "user", "name": sa, "permission": "READ"}]
    assert again.result("gc")["api_generation"] == GENERATION[target.name]

    purge = [{"name": "gc", "prokube.mlflow.mlflow_gc": {"experiment_ids": [ghost]}}]
    if is5(target):
        res = failed_before_writing(target.run(purge), "gc", "playbooks/tasks/mlflow_gc_exec.yml")
        assert "has no trash API" in res["msg"] and res["api_generation"] == "5.x"
    else:
        run = target.run(purge).assert_ok()
        assert run.changed("gc") is False and run.result("gc")["not_in_trash"]["experiment_ids"] == [ghost]


# ------------------------------------------------------------------------------------------ the guide's six calls, 5.x
def test_guide_six_calls_on_5x(mlflow5, uid, tmp_path):
    """The admin guide's Team Collaboration Setup on its own generation, with every outcome asserted."""
    exp_name, sa = "ds-team-alpha-exp1-%s" % uid, "svc-%s" % uid
    saved = tmp_path / "token"
    tasks = [
        {"name": "1 experiment", "prokube.mlflow.mlflow_experiment": {"name": exp_name}, "register": "exp"},
        {"name": "2 group grant", "prokube.mlflow.mlflow_group_permission": {
            "group": "pk:ds-team-alpha", "experiment": exp_name, "permission": "EDIT"}},
        {"name": "3 service account", "prokube.mlflow.mlflow_service_account": {
            "name": sa, "display_name": "DS Team Alpha Service Account"}},
    ] + token_tasks(saved, user=sa, expires_in_days=180)
    tasks[3]["name"] = "4 token"
    tasks[4]["when"] = "out.token is defined"
    run = mlflow5.run(tasks).assert_ok()  # basic auth: 5.x mints for a caller with a password (its token)
    for name in ("1 experiment", "2 group grant", "3 service account", "4 token"):
        assert run.changed(name) is True, name
        if name != "4 token":  # a minted token's whole result is censored
            assert run.result(name)["api_generation"] == "5.x"
    exp_id = mlflow5.experiment(exp_name)["experiment_id"]
    assert group_experiment_grants(mlflow5, "pk:ds-team-alpha")[exp_id] == "EDIT"
    stored = user_of(mlflow5, sa)
    assert stored["display_name"] == "DS Team Alpha Service Account" and stored["is_service_account"] is True
    assert stored["password_expiration"]  # the token's expiry is the password's
    token = saved.read_text()
    assert whoami(mlflow5, sa, token) == (200, sa)

    def read_as_sa():
        return requests.get(mlflow5.url + MLFLOW + "/experiments/get", params={"experiment_id": exp_id},
                            auth=(sa, token), timeout=30)

    assert read_as_sa().status_code == 403, "no grant yet: the service account must not read the experiment"
    grant = [{"name": "5 sa grant", "prokube.mlflow.mlflow_user_permission": {"user": sa, "experiment": exp_name,
                                                                              "permission": "EDIT"}}]
    check_real_rerun(mlflow5, grant, "5 sa grant", lambda: user_grant(mlflow5, sa, exp_id))
    r = read_as_sa()
    assert r.status_code == 200 and r.json()["experiment"]["name"] == exp_name, r.text
    again = mlflow5.run(tasks).assert_ok()
    assert [n for n in ("1 experiment", "2 group grant", "3 service account", "4 token") if again.changed(n)] == []


# ------------------------------------------------------------------------------------------ the role on 5.x
def test_team_workspace_role_on_5x(mlflow5, kube, uid):
    """The role unchanged on 5.x; the group is the pre-created pk:ds-team-alpha (5.x cannot create groups)."""
    team = "tw5-%s" % uid
    play = [{"name": "team", "hosts": "localhost", "gather_facts": False,
             "vars": {"team_workspace_name": team, "team_workspace_tracking_uri": mlflow5.url,
                      "team_workspace_group": "pk:ds-team-alpha"},
             "module_defaults": {"group/prokube.mlflow.mlflow": mlflow5.defaults()},
             "roles": [{"role": "prokube.mlflow.team_workspace"}]}]
    env = {"K8S_AUTH_KUBECONFIG": kube["kubeconfig"]}
    check = ansible_runner.run_playbook(play, check=True, env=env).assert_ok()
    assert mlflow5.experiment("%s-exp1" % team) is None, "check mode created the experiment"
    assert [r["task"] for r in check.records if r["result"].get("changed")]
    ansible_runner.run_playbook(play, env=env).assert_ok()
    again = ansible_runner.run_playbook(play, env=env).assert_ok()
    assert [r["task"] for r in again.records if r["result"].get("changed")] == []
    exp_id = mlflow5.experiment("%s-exp1" % team)["experiment_id"]
    assert group_experiment_grants(mlflow5, "pk:ds-team-alpha")[exp_id] == "EDIT"
    assert user_grant(mlflow5, "svc-%s" % team, exp_id) == "EDIT"
    import base64
    secret = kube["client"].resources.get(api_version="v1", kind="Secret").get(
        name="mlflow-team-credentials", namespace=team).to_dict()
    values = dict((k, base64.b64decode(v).decode()) for k, v in secret["data"].items())
    r = requests.get(values["MLFLOW_TRACKING_URI"] + MLFLOW + "/experiments/get", params={"experiment_id": exp_id},
                     auth=(values["MLFLOW_TRACKING_USERNAME"], values["MLFLOW_TRACKING_PASSWORD"]), timeout=30)
    assert r.status_code == 200, r.text
