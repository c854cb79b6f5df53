"""mlflow_group / mlflow_user / mlflow_service_account / mlflow_user_info against a real mlflow-oidc-auth server."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402
import servers as server_harness  # noqa: E402

USERS = "/api/2.0/mlflow/users"
GROUPS = "/api/2.0/mlflow/permissions/groups"


def task(module, register="out", **args):
    return [{"name": "t", "prokube.mlflow.%s" % module: args, "register": register}]


def user_of(mlflow, name):
    status, body = mlflow.get("%s/%s" % (USERS, name))
    return body if status == 200 else None


def detail_of(mlflow, name):
    status, body = mlflow.get(USERS + "/details", search=name)
    assert status == 200, body
    return next((row for row in body if row["username"] == name), None)


def groups(mlflow):
    status, body = mlflow.get(GROUPS)
    assert status == 200, body
    return sorted(body)


# ---------------------------------------------------------------------------------------------- groups
def test_group_created_rerun_and_opaque_names(mlflow, uid):
    for name in ("pk:ds-team-alpha-%s" % uid, "/data-science-%s" % uid, "pk:/odd name/%s" % uid):
        check, real, again = check_real_rerun(mlflow, task("mlflow_group", name=name), "t", lambda: groups(mlflow))
        assert check.result("t")["diff"] == {"before": {}, "after": {"name": name}}
        assert name in groups(mlflow), "read back through GET /permissions/groups"
        assert real.result("t")["group"] == {"name": name}
        assert again.result("t")["http_requests"] == 2  # probe + one filtered list


def test_group_absent_is_refused_when_it_exists(mlflow, uid):
    name = "pk:keep-%s" % uid
    mlflow.run(task("mlflow_group", name=name)).assert_ok()
    run = mlflow.run(task("mlflow_group", name=name, state="absent"))
    assert run.rc != 0
    msg = run.result("t")["msg"]
    assert "cannot be deleted" in msg and "no API" in msg and "\n" not in msg
    assert name in groups(mlflow)
    # a group that does not exist is already absent: no change, no failure
    check_real_rerun(mlflow, task("mlflow_group", name="never-%s" % uid, state="absent"), "t",
                     lambda: groups(mlflow), expect_change=False)


# ---------------------------------------------------------------------------------------------- users
def test_service_account_with_the_guides_display_name(mlflow, uid):
    name = "ds-team-alpha-sa-%s" % uid
    tasks = task("mlflow_service_account", name=name, display_name="DS Team Alpha Service Account")
    check, real, again = check_real_rerun(mlflow, tasks, "t", lambda: user_of(mlflow, name))
    user = user_of(mlflow, name)
    assert user["display_name"] == "DS Team Alpha Service Account"
    assert user["is_service_account"] is True and user["is_admin"] is False
    assert check.result("t")["diff"]["before"] == {}
    assert real.result("t")["user"]["service_account"] is True
    assert again.result("t")["http_requests"] == 2  # probe + GET /users/{u}
    # a display name cannot be changed through the API: reported, not claimed
    other = mlflow.run(task("mlflow_service_account", name=name, display_name="Something Else")).assert_ok()
    res = other.result("t")
    assert res["changed"] is False
    assert res["display_name_mismatch"] == {"requested": "Something Else", "actual": "DS Team Alpha Service Account"}
    assert any("display name" in w for w in res.get("warnings", []))


def test_existing_admin_rerun_without_is_admin_stays_admin(mlflow, uid):
    name = "second-admin-%s@example.com" % uid
    mlflow.run(task("mlflow_user", name=name, is_admin=True)).assert_ok()
    assert user_of(mlflow, name)["is_admin"] is True
    check_real_rerun(mlflow, task("mlflow_user", name=name, display_name="Second Admin"), "t",
                     lambda: user_of(mlflow, name), expect_change=False)
    assert user_of(mlflow, name)["is_admin"] is True
    # demoting works when asked, and only the flag asked for changes
    check_real_rerun(mlflow, task("mlflow_user", name=name, is_admin=False), "t", lambda: user_of(mlflow, name))
    user = user_of(mlflow, name)
    assert user["is_admin"] is False and user["is_service_account"] is False


def test_person_becomes_service_account_only_when_asked(mlflow, server_info, uid):
    name = "carol-%s@example.com" % uid
    # a real first sign-in: the plugin creates the person and her groups
    server_harness.idp_login_to_mlflow(server_info["idp"], mlflow.url, name, groups=["mlflow", "ds-team-%s" % uid])
    person = user_of(mlflow, name)
    assert person["is_service_account"] is False
    run = mlflow.run(task("mlflow_user", name=name.upper())).assert_ok()  # upper case: the server lower-cases
    assert run.result("t")["changed"] is False
    assert "ds-team-%s" % uid in run.result("t")["user"]["groups"]
    assert user_of(mlflow, name)["is_service_account"] is False
    _c, real, _a = check_real_rerun(mlflow, task("mlflow_user", name=name, service_account=True), "t",
                                    lambda: user_of(mlflow, name))
    assert real.result("t")["diff"]["before"]["service_account"] is False
    assert real.result("t")["diff"]["after"]["service_account"] is True
    assert user_of(mlflow, name)["is_service_account"] is True
    assert user_of(mlflow, name)["display_name"] == person["display_name"]


def test_deactivate_reactivate_and_delete(mlflow, uid):
    name = "dave-%s@example.com" % uid
    check_real_rerun(mlflow, task("mlflow_user", name=name, display_name="Dave"), "t", lambda: user_of(mlflow, name))
    check_real_rerun(mlflow, task("mlflow_user", name=name, active=False), "t", lambda: detail_of(mlflow, name))
    assert detail_of(mlflow, name)["active"] is False
    _c, _r, again = check_real_rerun(mlflow, task("mlflow_user", name=name, active=True), "t",
                                     lambda: detail_of(mlflow, name))
    assert detail_of(mlflow, name)["active"] is True
    assert again.result("t")["http_requests"] == 3  # probe + GET /users/{u} + GET /users/details?search=
    check_real_rerun(mlflow, task("mlflow_user", name=name, state="absent"), "t", lambda: user_of(mlflow, name))
    assert user_of(mlflow, name) is None
    # created inactive in one task
    eve = "eve-%s@example.com" % uid
    check_real_rerun(mlflow, task("mlflow_user", name=eve, active=False), "t", lambda: detail_of(mlflow, eve))
    assert detail_of(mlflow, eve)["active"] is False


def test_user_info_one_and_all(mlflow, uid):
    sa = "info-sa-%s" % uid
    person = "info-person-%s@example.com" % uid
    mlflow.run(task("mlflow_service_account", name=sa, display_name="Info SA") +
               [{"name": "p", "prokube.mlflow.mlflow_user": {"name": person}}]).assert_ok()
    tasks = [
        {"name": "one", "prokube.mlflow.mlflow_user_info": {"name": sa}},
        {"name": "all", "prokube.mlflow.mlflow_user_info": {}},
        {"name": "sas", "prokube.mlflow.mlflow_user_info": {"service_account": True}},
        {"name": "people", "prokube.mlflow.mlflow_user_info": {"service_account": False}},
        {"name": "missing", "prokube.mlflow.mlflow_user_info": {"name": "nobody-%s" % uid}},
    ]
    run = mlflow.run(tasks, check=True).assert_ok()
    one = run.result("one")["users"]
    assert len(one) == 1 and one[0]["username"] == sa and one[0]["service_account"] is True
    assert one[0]["active"] is True and one[0]["groups"] == [] and one[0]["tokens"] == []
    assert run.result("one")["http_requests"] == 4  # probe, user, details row, tokens
    names = {u["username"] for u in run.result("all")["users"]}
    assert {sa, person, mlflow.admin_username} <= names
    assert run.result("all")["http_requests"] == 2  # probe + one page of /users/details
    assert sa in {u["username"] for u in run.result("sas")["users"]}
    assert sa not in {u["username"] for u in run.result("people")["users"]}
    assert person in {u["username"] for u in run.result("people")["users"]}
    assert run.result("missing")["users"] == []
