"""Integration fixtures: one set of real servers per pytest session, shared by every test.

The servers (mlflow-oidc-auth 11.0.2, oidc-provider-mock, and where needed 5.7.0 and the Kubernetes
stand-in) are started by tests/harness/servers.py on 127.0.0.1 and stopped at the end. Set
PROKUBE_MLFLOW_SERVERS to the servers.json of servers you started yourself
(`python tests/harness/servers.py start --state DIR`) to reuse them across runs while developing.
"""
import json
import os
import sys
import uuid

import pytest
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "harness"))

import ansible_runner  # noqa: E402
import servers as server_harness  # noqa: E402


class MlflowTarget(object):
    """One running MLflow server as the tests see it."""

    def __init__(self, name, info, idp=None, refresh_token=None):
        self.name = name
        self.url = info["url"]
        self.admin_username = info["admin_username"]
        self.admin_token = info["admin_token"]
        self.idp = idp
        self.refresh_token = refresh_token
        self.rest = requests.Session()
        self.rest.auth = (self.admin_username, self.admin_token)
        self.rest.headers["Accept"] = "application/json"

    # connection settings for a play
    def defaults(self, **overrides):
        d = {"tracking_uri": self.url, "username": self.admin_username, "password": self.admin_token}
        d.update(overrides)
        return d

    def oidc_defaults(self, **overrides):
        d = self.defaults(oidc_discovery_url=self.idp["discovery_url"], oidc_client_id=self.idp["client_id"],
                          oidc_client_secret=self.idp["client_secret"], oidc_refresh_token=self.refresh_token)
        d.update(overrides)
        return d

    def env(self, **overrides):
        d = {"MLFLOW_TRACKING_URI": self.url, "MLFLOW_TRACKING_USERNAME": self.admin_username,
             "MLFLOW_TRACKING_PASSWORD": self.admin_token}
        d.update(overrides)
        return d

    # reading the server's state back, as admin, over REST
    def get(self, path, **params):
        r = self.rest.get(self.url + path, params=params or None)
        return r.status_code, (r.json() if "json" in r.headers.get("Content-Type", "") else r.text)

    def experiment(self, name):
        status, body = self.get("/api/2.0/mlflow/experiments/get-by-name", experiment_name=name)
        return body["experiment"] if status == 200 else None

    def run(self, tasks, check=False, diff=False, defaults="basic", env=None, verbosity=0, vars=None):
        """Run tasks in one play against this server. defaults: "basic", "oidc", a dict, or None."""
        if defaults == "basic":
            md = self.defaults()
        elif defaults == "oidc":
            md = self.oidc_defaults()
        else:
            md = defaults
        return ansible_runner.run_playbook(ansible_runner.play(tasks, module_defaults=md, vars=vars),
                                           check=check, diff=diff, env=env, verbosity=verbosity)


@pytest.fixture(scope="session")
def server_info(tmp_path_factory):
    existing = os.environ.get("PROKUBE_MLFLOW_SERVERS")
    if existing:
        with open(existing) as fh:
            yield json.load(fh)
        return
    state = os.path.join(ansible_runner.RUN_DIR, "servers-%d" % os.getpid())
    only = os.environ.get("PROKUBE_MLFLOW_SERVERS_ONLY")  # e.g. "mlflow11,idp"
    info = server_harness.start_all(state, only=only.split(",") if only else None)
    try:
        yield info
    finally:
        server_harness.stop_all(state)


@pytest.fixture(scope="session")
def mlflow(server_info):
    return MlflowTarget("mlflow11", server_info["mlflow11"], idp=server_info.get("idp"),
                        refresh_token=server_info.get("admin_refresh_token"))


@pytest.fixture(scope="session")
def mlflow5(server_info):
    """The admin guide's own generation, mlflow-oidc-auth 5.7.0 (basic auth; the IdP's ID token works as Bearer).
    Skipped when no 5.x server runs, unless PROKUBE_REQUIRE_MLFLOW5 is set (the suite sets it: then it fails)."""
    if "mlflow5" not in server_info:
        if os.environ.get("PROKUBE_REQUIRE_MLFLOW5"):
            pytest.fail("PROKUBE_REQUIRE_MLFLOW5 is set but no mlflow5 server runs (servers.json: %s)" % sorted(server_info))
        pytest.skip("no mlflow-oidc-auth 5.x server (start it: tests/harness/servers.py start --only idp,mlflow11,mlflow5)")
    return MlflowTarget("mlflow5", server_info["mlflow5"], idp=server_info.get("idp"),
                        refresh_token=server_info.get("admin_refresh_token"))


@pytest.fixture(params=["mlflow11", "mlflow5"])
def target(request):
    """Each API generation in turn: for tests that must pass on both 11.x and the guide's 5.x."""
    return request.getfixturevalue("mlflow" if request.param == "mlflow11" else "mlflow5")


@pytest.fixture
def uid():
    """A short unique suffix so tests sharing one server never collide."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def kube():
    """A Kubernetes API for the team_workspace role, with the PodDefault CRD installed.

    The stand-in (tests/harness/kube_standin.py) in a thread of this process, or a real cluster when
    PROKUBE_REAL_KUBECONFIG names its kubeconfig. Yields {url, kubeconfig, client (a kubernetes DynamicClient), real}.
    """
    import kube_standin
    from kubernetes import config as kube_config
    from kubernetes.dynamic import DynamicClient
    from kubernetes.dynamic.exceptions import ConflictError

    server = None
    real = os.environ.get("PROKUBE_REAL_KUBECONFIG")
    if real:
        kubeconfig = real
    else:
        server, url = kube_standin.start_in_thread(port=0)
        kubeconfig = os.path.join(ansible_runner.RUN_DIR, "kube-%d-%d.kubeconfig" % (os.getpid(), server.server_address[1]))
        kube_standin.write_kubeconfig(kubeconfig, url)
    client = DynamicClient(kube_config.new_client_from_config(config_file=kubeconfig))
    with open(os.path.join(os.path.dirname(HERE), "harness", "poddefault-crd.yaml")) as fh:
        import yaml
        crd = yaml.safe_load(fh)
    try:
        client.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").create(body=crd)
    except ConflictError:
        pass  # a real cluster with Kubeflow has it already
    try:
        yield {"url": client.configuration.host, "kubeconfig": kubeconfig, "client": client, "real": bool(real)}
    finally:
        if server is not None:
            server.stop()
