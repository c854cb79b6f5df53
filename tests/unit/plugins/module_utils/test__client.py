import pytest
import requests

from fake_http import FakeResponse as R, client_with

from ansible_collections.prokube.mlflow.plugins.module_utils._client import (
    CheckModeViolation, MlflowApiError, MlflowClient, MlflowError, seg)


def test_group_names_are_one_encoded_segment():
    assert seg("pk:ds-team-alpha") == "pk:ds-team-alpha"
    assert seg("/data-science") == "%2Fdata-science"
    assert seg("a b?c#d") == "a%20b%3Fc%23d"


def test_basic_auth_when_only_username_password():
    client, server, dummy_sleeps = client_with([("GET", "/x", R(200, {}))])
    client.get("/x")
    kwargs = server.calls[0][2]
    assert kwargs["auth"] == ("admin", "pat") and "Authorization" not in kwargs["headers"]


def test_token_wins_over_basic():
    client, server, dummy_sleeps = client_with([("GET", "/x", R(200, {}))], token="jwt")
    client.get("/x")
    kwargs = server.calls[0][2]
    assert kwargs["auth"] is None and kwargs["headers"]["Authorization"] == "Bearer jwt"
    assert client.interactive


def test_oidc_refresh_grant_once_per_run_and_id_token_preferred():
    client, server, dummy_sleeps = client_with([
        ("GET", "/.well-known/openid-configuration", R(200, {"token_endpoint": "http://idp/token"})),
        ("POST", "http://idp/token", R(200, {"id_token": "idt", "access_token": "at"})),
        ("GET", "/a", R(200, {})),
        ("GET", "/b", R(200, {})),
    ], oidc={"discovery_url": "http://idp/.well-known/openid-configuration", "client_id": "c",
             "client_secret": "s", "refresh_token": "rt"})
    client.get("/a")
    client.get("/b")
    form = server.calls[1][2]["data"]
    assert form == {"grant_type": "refresh_token", "refresh_token": "rt", "client_id": "c", "client_secret": "s"}
    assert server.calls[3][2]["headers"]["Authorization"] == "Bearer idt"


def test_oidc_refused_refresh_token_is_clear():
    client, dummy_server, dummy_sleeps = client_with([
        ("GET", "/.well-known", R(200, {"token_endpoint": "http://idp/token"})),
        ("POST", "/token", R(400, {"error": "invalid_grant", "error_description": "Token is not active"})),
    ], oidc={"discovery_url": "http://idp/.well-known", "refresh_token": "rt"})
    with pytest.raises(MlflowError, match="refused the refresh token .*Token is not active"):
        client.get("/a")


def test_get_retried_on_503_honouring_retry_after():
    client, server, sleeps = client_with([
        ("GET", "/x", R(503, {}, headers={"Retry-After": "2"})),
        ("GET", "/x", R(502, {})),
        ("GET", "/x", R(200, {"ok": 1})),
    ])
    assert client.get("/x") == {"ok": 1}
    assert sleeps == [2.0, 1.0]
    assert client.request_count == 3


def test_post_not_retried_when_it_may_have_been_processed():
    client, server, sleeps = client_with([("POST", "/x", R(502, {"detail": "bad gateway"}))])
    with pytest.raises(MlflowApiError) as err:
        client.post("/x", {"a": 1})
    assert err.value.status == 502 and sleeps == []


def test_post_retried_on_429_and_refused_connection():
    refused = requests.exceptions.ConnectionError("Connection refused")
    client, server, sleeps = client_with([
        ("POST", "/x", refused),
        ("POST", "/x", R(429, {}, headers={"Retry-After": "100"})),
        ("POST", "/x", R(201, {"id": 1})),
    ])
    assert client.post("/x", {}) == {"id": 1}
    assert sleeps == [0.5, 30.0]  # Retry-After capped


def test_post_read_timeout_not_retried():
    client, server, sleeps = client_with([("PATCH", "/x", requests.exceptions.ReadTimeout("slow"))])
    with pytest.raises(MlflowApiError, match="no answer within"):
        client.patch("/x", {})
    assert sleeps == []


def test_retries_exhausted_reports_the_last_error():
    client, server, sleeps = client_with([("GET", "/x", R(503, {"detail": "down"}))] * 2, retries=1)
    with pytest.raises(MlflowApiError, match="HTTP 503.*down"):
        client.get("/x")


def test_error_mapping():
    client, dummy_server, dummy_sleeps = client_with([
        ("GET", "/a", R(401, {"detail": "Authentication required"})),
        ("GET", "/b", R(403, {"detail": "Administrator privileges required for this operation"})),
        ("GET", "/c", R(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No experiment"})),
        ("GET", "/d", R(404, html="<!doctype html><html>Not Found</html>")),
        ("GET", "/e", R(200, html="<html><form>login</form></html>")),
        ("POST", "/f", R(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid permission 'WRITE'"})),
        ("POST", "/g", R(422, {"detail": [{"loc": ["body", "permission"], "msg": "field required"}]})),
    ])
    errors = []
    for call in (lambda: client.get("/a"), lambda: client.get("/b"), lambda: client.get("/c"),
                 lambda: client.get("/d"), lambda: client.get("/e"), lambda: client.post("/f", {}),
                 lambda: client.post("/g", {})):
        with pytest.raises(MlflowApiError) as err:
            call()
        errors.append(err.value)
    a, b, c, d, e, f, g = errors
    assert "authentication failed (401" in str(a)
    assert "permission denied (403: Administrator privileges" in str(b)
    assert c.not_found and not c.missing_route and c.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert d.missing_route and not d.not_found and "no such route" in str(d)
    assert "HTML page instead of JSON" in str(e)
    assert "INVALID_PARAMETER_VALUE" in str(f) and "WRITE" in str(f)
    assert "body.permission: field required" in str(g)
    for err in errors:
        assert "\n" not in str(err)


def test_read_only_refuses_writes_but_allows_reads():
    client, server, dummy_sleeps = client_with([("GET", "/x", R(200, {})), ("POST", "/search", R(200, {}))])
    client.read_only = True
    client.get("/x")
    client.post("/search", {}, read=True)
    for call in (lambda: client.post("/y", {}), lambda: client.patch("/y"), lambda: client.delete("/y")):
        with pytest.raises(CheckModeViolation):
            call()
    assert len(server.calls) == 2


def test_paginate_token_follows_every_page():
    client, server, dummy_sleeps = client_with([
        ("GET", "/s", R(200, {"experiments": [1, 2], "next_page_token": "p2"})),
        ("GET", "/s", R(200, {"experiments": [3], "next_page_token": "p3"})),
        ("GET", "/s", R(200, {"experiments": [4]})),
    ])
    assert client.paginate_token("/s", "experiments", page_size=2) == [1, 2, 3, 4]
    assert server.calls[1][2]["params"]["page_token"] == "p2"
    assert server.calls[2][2]["params"]["page_token"] == "p3"


def test_paginate_offset_until_short_page():
    client, server, dummy_sleeps = client_with([
        ("GET", "/l", R(200, ["a", "b"])),
        ("GET", "/l", R(200, ["c", "d"])),
        ("GET", "/l", R(200, [])),
    ])
    assert client.paginate_offset("/l", limit=2) == ["a", "b", "c", "d"]
    assert [c[2]["params"]["offset"] for c in server.calls] == [0, 2, 4]


@pytest.mark.parametrize("kw, match", [
    (dict(validate_certs=False, ca_path="/ca.pem"), "contradictory TLS"),
    (dict(client_key="/k.pem"), "client_key is set without client_cert"),
])
def test_bad_settings_rejected(kw, match):
    with pytest.raises(MlflowError, match=match):
        MlflowClient("https://mlflow.example.com", **kw)


def test_bad_uri_rejected():
    with pytest.raises(MlflowError, match="tracking_uri is not set"):
        MlflowClient(None)
    with pytest.raises(MlflowError, match="http:// or https://"):
        MlflowClient("mlflow.example.com")
