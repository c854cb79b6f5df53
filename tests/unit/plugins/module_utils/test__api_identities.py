"""MlflowApi's users/tokens/groups section against scripted HTTP answers (the real server is in tests/integration)."""
import pytest

from fake_http import FakeResponse, client_with

from ansible_collections.prokube.mlflow.plugins.module_utils._api import GENERATIONS, MlflowApi
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError


def api_with(script, generation="8", **kw):
    client, server, _sleeps = client_with(script, **kw)
    return MlflowApi(client, GENERATIONS[generation]), server


def test_delete_last_admin_is_one_clear_line():
    api, _server = api_with([("DELETE", "/api/2.0/mlflow/users", FakeResponse(409, {
        "detail": "Refusing to delete admin@example.com: it is the last active administrator"}))])
    with pytest.raises(MlflowError) as err:
        api.delete_user("Admin@Example.com")
    msg = str(err.value)
    assert "409" in msg and "make another user an administrator first" in msg and "\n" not in msg


def test_delete_user_sends_lower_cased_body_and_reports_absent():
    api, server = api_with([("DELETE", "/api/2.0/mlflow/users", FakeResponse(404, {"detail": "User x not found"}))])
    assert api.delete_user("Carol@Example.com") is False
    assert server.calls[0][2]["json"] == {"username": "carol@example.com"}


def test_create_user_always_sends_both_flags():
    api, server = api_with([("POST", "/api/2.0/mlflow/users", FakeResponse(200, {"message": "already exists"}))])
    api.create_user("Sa", "SA", None, True)
    assert server.calls[0][2]["json"] == {"username": "sa", "display_name": "SA", "is_admin": False,
                                          "is_service_account": True}


def test_group_names_are_matched_exactly_after_a_search():
    api, server = api_with([("GET", "/api/2.0/mlflow/permissions/groups", FakeResponse(200, ["/data-science-x", "a"]))])
    assert api.group_exists("/data-science") is False
    assert "search=%2Fdata-science" in server.calls[0][1] or server.calls[0][2]["params"]["search"] == "/data-science"


def test_tokens_need_generation_8():
    api, _server = api_with([], generation="6")
    with pytest.raises(MlflowError) as err:
        api.list_tokens("sa")
    assert "8.0 or later" in str(err.value) and "6.0-7.x" in str(err.value)


def test_groups_cannot_be_created_on_5x():
    api, _server = api_with([], generation="5")
    with pytest.raises(MlflowError) as err:
        api.create_group("pk:team")
    assert "cannot create groups" in str(err.value)


def test_user_path_segment_is_encoded():
    api, server = api_with([("GET", "/api/2.0/mlflow/users/a%2Fb/tokens", FakeResponse(200, {"tokens": []}))])
    assert api.list_tokens("A/B") == []
