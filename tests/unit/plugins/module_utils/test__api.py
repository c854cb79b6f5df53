import pytest

from fake_http import FakeResponse as R, client_with

from ansible_collections.prokube.mlflow.plugins.module_utils._api import GENERATIONS, MlflowApi, detect_generation
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError

HTML404 = R(404, html="<!doctype html><title>404 Not Found</title>")


def test_detects_8_with_one_request():
    client, server, dummy_sleeps = client_with([("GET", "/users/current/tokens", R(200, {"tokens": []}))])
    assert detect_generation(client).name == "8"
    assert client.request_count == 1


def test_detects_6():
    client = client_with([("GET", "/users/current/tokens", HTML404),
                          ("GET", "/api/2.0/mlflow/users/current", R(200, {"username": "a"}))])[0]
    assert detect_generation(client).name == "6"


def test_detects_5():
    client = client_with([("GET", "/users/current/tokens", HTML404),
                          ("GET", "/api/2.0/mlflow/users/current", HTML404),
                          ("GET", "/permissions/users/current", R(200, {"username": "a"}))])[0]
    gen = detect_generation(client)
    assert gen.name == "5" and "USE" not in gen.levels and gen.duplicate_status == 400


def test_not_an_oidc_auth_server():
    client, dummy_server, dummy_sleeps = client_with([("GET", "/tokens", HTML404), ("GET", "/current", HTML404), ("GET", "/current", HTML404)])
    with pytest.raises(MlflowError, match="does not look like an MLflow server with the mlflow-oidc-auth plugin"):
        detect_generation(client)


def test_probe_reports_bad_credentials():
    client, dummy_server, dummy_sleeps = client_with([("GET", "/tokens", R(401, {"detail": "Authentication required"}))])
    with pytest.raises(MlflowApiError, match="authentication failed"):
        detect_generation(client)


def test_generation_paths_encode_segments_and_explain_missing_features():
    assert GENERATIONS["8"].path("tokens", username="svc a") == "/api/2.0/mlflow/users/svc%20a/tokens"
    with pytest.raises(MlflowError, match="5.x\\) has no API for tokens"):
        GENERATIONS["5"].path("tokens", username="x")


def test_experiment_lookup_absent_is_none():
    client = client_with([("GET", "/experiments/get-by-name",
                          R(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}))])[0]
    assert MlflowApi(client, GENERATIONS["8"]).get_experiment_by_name("x") is None
