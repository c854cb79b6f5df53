"""MlflowApi routed through GENERATIONS: the admin guide's 5.x against 8.0+, with scripted HTTP answers shaped like
5.7.0's (read from its source and verified live; the real servers are in tests/integration/test_generations.py)."""
import pytest

from fake_http import FakeResponse, client_with

from ansible_collections.prokube.mlflow.plugins.module_utils._api import GENERATIONS, MlflowApi, detect_generation, http_date_to_iso
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError

NOT_FOUND_PAGE = "<!doctype html><html><title>404 Not Found</title></html>"
USER_5 = {"display_name": "SA", "groups": [{"id": 1, "group_name": "pk:ds-team-alpha"}], "id": 2, "is_admin": False,
          "is_service_account": True, "password_expiration": "Fri, 01 Jan 2027 00:00:00 GMT", "username": "svc-a"}


def api_with(script, generation="5", **kw):
    client, server, _sleeps = client_with(script, **kw)
    return MlflowApi(client, GENERATIONS[generation]), server


def test_detect_5x_by_probing():
    client, server, dummy_sleeps = client_with([
        ("GET", "/api/2.0/mlflow/users/current/tokens", FakeResponse(404, html=NOT_FOUND_PAGE)),
        ("GET", "/api/2.0/mlflow/users/current", FakeResponse(404, html=NOT_FOUND_PAGE)),
        ("GET", "/api/2.0/mlflow/permissions/users/current", FakeResponse(200, dict(USER_5, username="admin"))),
    ])
    assert detect_generation(client).name == "5"


def test_5x_login_page_instead_of_json_is_an_error():
    client, dummy_server, dummy_sleeps = client_with([
        ("GET", "/api/2.0/mlflow/users/current/tokens", FakeResponse(200, html="<!doctype html><html>Login</html>")),
    ])
    with pytest.raises(MlflowError) as err:
        detect_generation(client)
    assert "HTML page instead of JSON" in str(err.value)


def test_get_user_5x_query_route_and_wrapped_answer():
    api, server = api_with([("GET", "/api/2.0/mlflow/users/get?username=svc-a", FakeResponse(200, {"user": USER_5}))])
    user = api.get_user("SVC-A")
    assert user["username"] == "svc-a" and user["is_service_account"] is True
    assert user["groups"] == ["pk:ds-team-alpha"]
    assert user["token_expires_at"] == "2027-01-01T00:00:00Z"
    assert server.calls[0][1].endswith("/api/2.0/mlflow/users/get?username=svc-a")


def test_get_user_5x_absent():
    api, _server = api_with([("GET", "/api/2.0/mlflow/users/get", FakeResponse(404, {
        "error_code": "RESOURCE_DOES_NOT_EXIST", "message": "User 'x' not found"}))])
    assert api.get_user("x") is None


def test_create_user_5x_route_sends_both_flags():
    api, server = api_with([("POST", "/api/2.0/mlflow/users/create", FakeResponse(201, {"message": "created"}))])
    api.create_user("Svc-A", "SA", None, True)
    assert server.calls[0][2]["json"] == {"username": "svc-a", "display_name": "SA", "is_admin": False,
                                          "is_service_account": True}


def test_create_user_8_route():
    api, server = api_with([("POST", "/api/2.0/mlflow/users", FakeResponse(201, {"message": "created"}))], "8")
    api.create_user("svc-a", "SA", True, False)
    assert server.calls[0][1].endswith("/api/2.0/mlflow/users")


def test_delete_user_5x_revokes_grants_first():
    api, server = api_with([
        ("GET", "/api/2.0/mlflow/users/get?username=svc-a", FakeResponse(200, {"user": USER_5})),
        ("GET", "/permissions/users/svc-a/experiments", FakeResponse(200, [
            {"id": "1", "name": "e1", "permission": "EDIT", "type": "user"},
            {"id": "2", "name": "e2", "permission": "READ", "type": "group"},
            {"id": "3", "name": "e3", "permission": "NO_PERMISSIONS", "type": "fallback"}])),
        ("DELETE", "/permissions/users/svc-a/experiments/1", FakeResponse(200, {"message": "deleted"})),
        ("GET", "/permissions/users/svc-a/experiment-patterns", FakeResponse(200, [
            {"id": 4, "regex": "^e", "priority": 1, "permission": "READ", "user_id": 2}])),
        ("DELETE", "/permissions/users/svc-a/experiment-patterns/4", FakeResponse(200, {})),
        ("GET", "/permissions/users/svc-a/registered-models", FakeResponse(200, [{"name": "m", "permission": "READ", "type": "user"}])),
        ("DELETE", "/permissions/users/svc-a/registered-models/m", FakeResponse(200, {})),
        ("GET", "/permissions/users/svc-a/registered-models-patterns", FakeResponse(200, [])),
        ("GET", "/permissions/users/svc-a/prompts", FakeResponse(200, [])),
        ("GET", "/permissions/users/svc-a/prompts-patterns", FakeResponse(200, [])),
        ("DELETE", "/api/2.0/mlflow/users/delete", FakeResponse(200, {"message": "deleted"})),
    ])
    assert api.delete_user("svc-a") is True
    assert server.calls[-1][2]["json"] == {"username": "svc-a"}


def test_delete_user_5x_absent_sends_no_delete():
    api, server = api_with([("GET", "/api/2.0/mlflow/users/get", FakeResponse(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"}))])
    assert api.delete_user("gone") is False
    assert len(server.calls) == 1


def test_list_users_5x_names_then_reads_and_never_sends_service_false():
    api, server = api_with([
        ("GET", "/api/2.0/mlflow/permissions/users", FakeResponse(200, ["alice"])),
        ("GET", "/api/2.0/mlflow/users/get?username=alice", FakeResponse(200, {"user": dict(USER_5, username="alice", is_service_account=False)})),
    ])
    rows = api.list_users(service=False)
    assert [r["username"] for r in rows] == ["alice"]
    assert server.calls[0][2]["params"] is None  # 5.x reads service=false as true


def test_user_detail_and_active_do_not_exist_on_5x():
    api, server = api_with([])
    assert api.get_user_detail("svc-a") is None
    with pytest.raises(MlflowError) as err:
        api.set_user_active("svc-a", False)
    assert "cannot deactivate or reactivate" in str(err.value) and "5.x" in str(err.value)
    assert server.calls == []


def test_tokens_5x_one_per_user_read_from_the_user():
    api, server = api_with([("GET", "/api/2.0/mlflow/users/get", FakeResponse(200, {"user": USER_5}))])
    assert api.list_tokens("svc-a") == [{"id": None, "name": "default", "token_prefix": None,
                                         "expires_at": "2027-01-01T00:00:00Z", "active": True}]
    # an account's initial random password (no expiry) is not a token anyone holds
    assert api.user_tokens(dict(api._user(USER_5), token_expires_at=None)) == []
    assert len(server.calls) == 1


@pytest.mark.parametrize("name, state, words", [
    ("ci", "present", "named tokens (here 'ci') need mlflow-oidc-auth 8.0 or later"),
    ("default", "absent", "cannot revoke a token"),
])
def test_token_features_missing_on_5x_are_one_line(name, state, words):
    api, server = api_with([])
    with pytest.raises(MlflowError) as err:
        api.require_token_support(name, state)
    assert words in str(err.value) and "\n" not in str(err.value)
    assert server.calls == []


def test_token_features_all_there_on_8():
    api, _server = api_with([], "8")
    api.require_token_support("ci", "absent")


def test_mint_5x_basic_auth_route_with_z():
    api, server = api_with([("PATCH", "/api/2.0/mlflow/permissions/users/access-token",
                             FakeResponse(200, {"token": "abcdefghijklmnopqrstuvwx", "message": "created"}))])
    assert api.rotate_default_token("SVC-A", "2027-01-01T00:00:00Z")["token"] == "abcdefghijklmnopqrstuvwx"
    assert server.calls[0][2]["json"] == {"username": "svc-a", "expiration": "2027-01-01T00:00:00Z"}
    assert server.calls[0][2]["auth"] == ("admin", "pat")


def test_groups_5x_plain_list_no_paging_no_search():
    api, server = api_with([("GET", "/api/2.0/mlflow/permissions/groups", FakeResponse(200, ["pk:ds-team-alpha", "mlflow"]))])
    assert api.group_exists("mlflow") is True
    assert server.calls[0][2]["params"] is None


def test_missing_group_on_5x_explains_first_sign_in():
    api, server = api_with([])
    with pytest.raises(MlflowError) as err:
        api.create_group("pk:new")
    assert "appears when one of its members first signs in" in str(err.value)
    assert server.calls == []
    assert "create it first with prokube.mlflow.mlflow_group" in MlflowApi(api.client, GENERATIONS["8"]).missing_group_message("g")


def test_group_with_slash_cannot_be_addressed_on_5x_but_can_on_8():
    api, server = api_with([])
    with pytest.raises(MlflowError) as err:
        api.create_grant("group", "/data-science", "experiment", "1", "READ")
    assert "cannot be addressed" in str(err.value) and server.calls == []
    api8, server8 = api_with([("POST", "/permissions/groups/%2Fdata-science/experiments/1", FakeResponse(201, {}))], "8")
    assert api8.create_grant("group", "/data-science", "experiment", "1", "READ") is True


def test_duplicate_grant_is_400_on_5x():
    api, _server = api_with([("POST", "/permissions/users/u/experiments/1", FakeResponse(400, {
        "error_code": "RESOURCE_ALREADY_EXISTS", "message": "exists"}))])
    assert api.create_grant("user", "u", "experiment", "1", "READ") is False


def test_list_keys_type_and_username_on_5x():
    api, _server = api_with([
        ("GET", "/permissions/users/u/experiments", FakeResponse(200, [{"id": "1", "name": "e", "permission": "EDIT", "type": "user"}])),
        ("GET", "/permissions/experiments/1/users", FakeResponse(200, [
            {"username": "svc-a", "permission": "EDIT", "kind": "service-account"}])),
    ])
    assert api.list_subject_grants("user", "u", "experiment") == [{"id": "1", "name": "e", "permission": "EDIT", "kind": "user"}]
    assert api.list_resource_grants("experiment", "1", "user") == [{"name": "svc-a", "permission": "EDIT", "kind": "service-account"}]


def test_resource_groups_on_5x_by_listing_each_group():
    api, server = api_with([
        ("GET", "/api/2.0/mlflow/permissions/groups", FakeResponse(200, ["a", "b/c", "d"])),
        ("GET", "/permissions/groups/a/experiments", FakeResponse(200, [{"id": "1", "name": "e", "permission": "EDIT"}])),
        ("GET", "/permissions/groups/d/experiments", FakeResponse(200, [{"id": "2", "name": "f", "permission": "READ"}])),
    ])
    assert api.list_resource_grants("experiment", "1", "group") == [{"name": "a", "permission": "EDIT", "kind": "group"}]
    assert len(server.calls) == 3  # "b/c" cannot be addressed on 5.x: skipped


def test_group_prompt_patterns_5x_error_body_means_none():
    api, _server = api_with([("GET", "/permissions/groups/g/prompts-patterns", FakeResponse(200, {"error": "No permissions found"}))])
    assert api.list_patterns("group", "g", "prompt") == []


def test_trash_api_missing_on_5x():
    api, _server = api_with([])
    with pytest.raises(MlflowError) as err:
        api.require_trash_api("see playbooks/tasks/mlflow_gc_exec.yml")
    assert "has no trash API" in str(err.value) and "mlflow_gc_exec.yml" in str(err.value)
    MlflowApi(api.client, GENERATIONS["8"]).require_trash_api()


def test_levels_per_generation():
    assert "USE" not in GENERATIONS["5"].levels and "USE" in GENERATIONS["8"].levels


@pytest.mark.parametrize("raw, iso", [
    ("Fri, 01 Jan 2027 00:00:00 GMT", "2027-01-01T00:00:00Z"),
    ("2027-01-01T02:00:00+02:00", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:00:00", "2027-01-01T00:00:00Z"),
    ("2027-01-01T00:00:00.123456Z", "2027-01-01T00:00:00Z"),
    (None, None),
])
def test_http_date_to_iso(raw, iso):
    assert http_date_to_iso(raw) == iso
