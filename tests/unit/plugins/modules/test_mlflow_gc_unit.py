"""mlflow_gc without a server: the cleanup answer's parsing (failed_* = failure), durations, refusals, and the
order grants are removed and put back in. The real behaviour is proven in tests/integration/test_mlflow_gc.py."""
import pytest

from fake_http import FakeResponse as R, client_with

from ansible_collections.prokube.mlflow.plugins.module_utils._api import MlflowApi
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError
from ansible_collections.prokube.mlflow.plugins.modules import mlflow_gc

HTML404 = R(404, html="<!doctype html><title>404 Not Found</title>")


# ------------------------------------------------------------------ the cleanup answer
def test_full_success():
    res = MlflowApi.parse_cleanup_result({"deleted_runs": ["r1"], "deleted_experiments": ["7"], "total_deleted_runs": 1,
                                          "total_deleted_experiments": 1})
    assert res == dict(deleted_experiments=["7"], deleted_runs=["r1"], failed_experiments=[], failed_runs=[], error=None)


def test_200_with_kept_items_lists_them_as_failures():
    res = MlflowApi.parse_cleanup_result({
        "deleted_runs": ["r1"], "deleted_experiments": [],
        "failed_runs": [{"run_id": "r2", "error": "Failed to delete artifacts"}],
        "failed_experiments": [{"experiment_id": 7, "error": "Run(s) remain in this experiment"}]})
    assert res["failed_runs"] == [{"run_id": "r2", "error": "Failed to delete artifacts"}]
    assert res["failed_experiments"] == [{"experiment_id": "7", "error": "Run(s) remain in this experiment"}]
    assert res["error"] is None


@pytest.mark.parametrize("body, error", [
    ({"error": "Experiments ['7'] are not older than 1h"}, "Experiments ['7'] are not older than 1h"),
    ({"detail": "Administrator privileges required"}, "Administrator privileges required"),
    ("Internal Server Error\n", "Internal Server Error"),
    (None, "empty answer"),
])
def test_error_answers(body, error):
    res = MlflowApi.parse_cleanup_result(body)
    assert res["error"] == error and res["deleted_experiments"] == [] and res["deleted_runs"] == []


def test_cleanup_sends_query_parameters_and_keeps_the_error_text():
    client, server, _sleeps = client_with([
        ("POST", "/oidc/trash/cleanup", R(400, {"error": "Experiments ['7'] are not in deleted lifecycle stage"})),
        ("POST", "/oidc/trash/cleanup", R(200, {"deleted_runs": [], "deleted_experiments": [],
                                                "failed_runs": [{"run_id": "r", "error": "Run not found"}]})),
    ])
    api = MlflowApi(client)
    res = api.trash_cleanup(experiment_ids=["7", "8"], older_than="1d")
    assert res["error"] == "Experiments ['7'] are not in deleted lifecycle stage"
    _method, _url, kwargs = server.calls[0]
    assert kwargs["params"] == {"experiment_ids": "7,8", "older_than": "1d"} and "json" not in kwargs
    assert api.trash_cleanup(run_ids=["r"])["failed_runs"] == [{"run_id": "r", "error": "Run not found"}]


def test_cleanup_never_empties_the_whole_trash():
    client, server, _sleeps = client_with([])
    with pytest.raises(MlflowError, match="whole trash"):
        MlflowApi(client).trash_cleanup(experiment_ids=[], run_ids=None)
    assert server.calls == []


# ------------------------------------------------------------------ durations and refusals
@pytest.mark.parametrize("text, ms", [("30d", 30 * 86400000), ("1h30m", 5400000), ("1.5d", 129600000), ("90s", 90000),
                                      ("1d2h3m4s", 93784000), ("0s", 0), (".5h", 1800000)])
def test_durations_as_the_server_reads_them(text, ms):
    assert mlflow_gc.parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "30", "30 d", "1m2h", "1.2.3d", "d", "-1d", "1w", "30days"])
def test_bad_durations(text):
    with pytest.raises(MlflowError, match="not an MLflow duration"):
        mlflow_gc.parse_duration(text)


def params(**kw):
    p = dict(experiment_ids=None, experiments=None, run_ids=None, purge_all=False, older_than=None,
             remove_stale_grants=True, stale_grants_only=False)
    p.update(kw)
    return p


@pytest.mark.parametrize("kw, words", [
    ({}, "refusing to purge without a selection"),
    ({"older_than": "1d"}, "refusing"),
    ({"purge_all": True, "run_ids": ["r"]}, "do not combine"),
    ({"experiment_ids": ["1,2"]}, "commas"),
    ({"stale_grants_only": True, "experiment_ids": ["1"], "older_than": "1d"}, "only them"),
    ({"stale_grants_only": True, "experiment_ids": ["1"], "remove_stale_grants": False}, "would do nothing"),
])
def test_refusals(kw, words):
    with pytest.raises(MlflowError, match=words):
        mlflow_gc.validate(params(**kw))


def test_purge_all_alone_is_accepted():
    assert mlflow_gc.validate(params(purge_all=True, older_than="30d")) == ([], [], [], 30 * 86400000)


# ------------------------------------------------------------------ trash API missing / not an admin
def test_missing_trash_api_points_to_the_exec_way():
    client, _server, _sleeps = client_with([("GET", "/oidc/trash/experiments", HTML404)])
    with pytest.raises(MlflowError) as err:
        mlflow_gc.read_trash(MlflowApi(client))
    assert "no trash API" in str(err.value) and "mlflow_gc_exec.yml" in str(err.value) and "\n" not in str(err.value)


def test_not_an_admin():
    client, _server, _sleeps = client_with([("GET", "/oidc/trash/experiments",
                                             R(403, {"detail": "Administrator privileges required for this operation"}))])
    with pytest.raises(MlflowError, match="needs an MLflow administrator.*Administrator privileges required"):
        mlflow_gc.read_trash(MlflowApi(client))


# ------------------------------------------------------------------ grants: removed first, put back when kept
class FakeApi(object):
    def __init__(self, cleanup, existing):
        self.cleanup = cleanup
        self.existing = set(existing)
        self.log = []

    def delete_grant(self, kind, name, resource_type, exp_id):
        assert resource_type == "experiment"
        self.log.append(("delete", kind, name, exp_id))
        return True

    def create_grant(self, kind, name, resource_type, exp_id, permission):
        assert resource_type == "experiment"
        self.log.append(("restore", kind, name, exp_id, permission))
        return True

    def trash_cleanup(self, experiment_ids=None, run_ids=None, older_than=None):
        self.log.append(("cleanup", tuple(experiment_ids or ()), tuple(run_ids or ())))
        if isinstance(self.cleanup, Exception):
            raise self.cleanup
        return self.cleanup

    def get_experiment(self, exp_id):
        return {"experiment_id": exp_id} if exp_id in self.existing else None


class FakeModule(object):
    params = {"older_than": None}


def todo():
    grant = dict(kind="user", name="reader@example.com", permission="READ")
    return dict(experiments=[dict(experiment_id="7", name="a"), dict(experiment_id="8", name="b")],
                runs=[dict(run_id="r7", experiment_id="7", run_name="x"), dict(run_id="r8", experiment_id="8", run_name="y")],
                grants=[dict(grant, experiment_id="7"), dict(grant, experiment_id="8")], orphan_ids=[], loose_run_ids=[])


def test_grants_removed_before_the_purge_and_put_back_where_the_server_kept_the_experiment():
    api = FakeApi(MlflowApi.parse_cleanup_result({
        "deleted_runs": ["r7", "r8"], "deleted_experiments": ["7"],
        "failed_experiments": [{"experiment_id": "8", "error": "Run(s) remain in this experiment"}]}), existing=["8"])
    out = mlflow_gc.purge(FakeModule(), api, todo())
    assert api.log[:3] == [("delete", "user", "reader@example.com", "7"), ("delete", "user", "reader@example.com", "8"),
                           ("cleanup", ("7", "8"), ())]
    assert api.log[3:] == [("restore", "user", "reader@example.com", "8", "READ")]
    assert [e["experiment_id"] for e in out["experiments"]] == ["7"]
    assert [g["experiment_id"] for g in out["grants_removed"]] == ["7"]
    assert out["failed_experiments"] == [{"experiment_id": "8", "error": "Run(s) remain in this experiment"}]
    assert "experiment 8 kept: Run(s) remain" in mlflow_gc.failure_message(out)


def test_a_failed_request_restores_grants_only_of_experiments_that_still_exist():
    api = FakeApi(MlflowApiError("POST", "/oidc/trash/cleanup", status=None, detail="connection reset"), existing=["8"])
    out = mlflow_gc.purge(FakeModule(), api, todo())
    # 7 is gone although the answer was lost: its grants stay removed; 8 still exists: its grant comes back
    assert [e["experiment_id"] for e in out["experiments"]] == ["7"]
    assert ("restore", "user", "reader@example.com", "8", "READ") in api.log
    assert ("restore", "user", "reader@example.com", "7", "READ") not in api.log
    assert out["errors"] and "connection reset" in out["errors"][0]


def test_an_error_answer_restores_every_grant():
    api = FakeApi(MlflowApi.parse_cleanup_result({"error": "Experiments ['7'] are not older than 1d"}), existing=["7", "8"])
    out = mlflow_gc.purge(FakeModule(), api, todo())
    assert out["experiments"] == [] and out["grants_removed"] == []
    assert [entry[0] for entry in api.log] == ["delete", "delete", "cleanup", "restore", "restore"]
    assert "not older than 1d" in mlflow_gc.failure_message(out)
