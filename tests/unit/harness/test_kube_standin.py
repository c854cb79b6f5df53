"""Tests of the kube-apiserver stand-in (tests/harness/kube_standin.py).

Most tests drive it with the `kubernetes` Python client's DynamicClient, the client
`kubernetes.core.k8s` uses; one runs a real `ansible-playbook` with kubernetes.core against it.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from kubernetes import config, dynamic
from kubernetes.dynamic.exceptions import DynamicApiError

ROOT = Path(__file__).resolve().parents[3]
HARNESS = ROOT / "tests" / "harness"
sys.path.insert(0, str(HARNESS))
import kube_standin  # noqa: E402

CRD_MANIFEST = HARNESS / "poddefault-crd.yaml"
CONTROLLER_BIN = ROOT / ".venv" / "controller" / "bin"
COLLECTIONS = ROOT / ".cache" / "collections"


# ----------------------------------------------------------------------------- fixtures/helpers
@pytest.fixture
def standin():
    server, url = kube_standin.start_in_thread(port=0, namespace_delete_delay=0.2)
    yield server, url
    server.stop()


@pytest.fixture
def url(standin):
    return standin[1]


@pytest.fixture
def kubeconfig(url, tmp_path):
    path = tmp_path / "kubeconfig"
    kube_standin.write_kubeconfig(str(path), url)
    return path


@pytest.fixture
def client(kubeconfig, tmp_path):
    api = config.new_client_from_config(config_file=str(kubeconfig))
    return dynamic.DynamicClient(api, cache_file=str(tmp_path / "discovery-cache.json"))


def raw(url: str, method: str, path: str, body=None, content_type: str = "application/json"):
    """One HTTP request; returns (status code, decoded JSON body)."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def api_error(excinfo) -> dict:
    return json.loads(excinfo.value.body)


def resource(client, kind: str, api_version: str = "v1"):
    return client.resources.get(api_version=api_version, kind=kind)


def create_poddefault_crd(client):
    crds = resource(client, "CustomResourceDefinition", "apiextensions.k8s.io/v1")
    return crds.create(body=yaml.safe_load(CRD_MANIFEST.read_text()))


def poddefault(name: str, **spec) -> dict:
    return {"apiVersion": "kubeflow.org/v1alpha1", "kind": "PodDefault",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


# ----------------------------------------------------------------------------- discovery
def test_discovery_documents(url):
    code, version = raw(url, "GET", "/version")
    assert code == 200 and version["major"] == "1" and version["gitVersion"].startswith("v1.")
    assert raw(url, "GET", "/api")[1]["versions"] == ["v1"]
    core = {r["name"]: r for r in raw(url, "GET", "/api/v1")[1]["resources"]}
    assert {"namespaces", "secrets", "configmaps", "serviceaccounts"} <= set(core)
    assert core["secrets"]["namespaced"] and not core["namespaces"]["namespaced"]
    assert core["secrets"]["kind"] == "Secret" and "watch" not in core["secrets"]["verbs"]
    groups = {g["name"]: g for g in raw(url, "GET", "/apis")[1]["groups"]}
    assert groups["apiextensions.k8s.io"]["preferredVersion"]["groupVersion"] == "apiextensions.k8s.io/v1"
    ext = raw(url, "GET", "/apis/apiextensions.k8s.io/v1")[1]
    assert ext["kind"] == "APIResourceList" and ext["resources"][0]["kind"] == "CustomResourceDefinition"
    assert raw(url, "GET", "/apis/kubeflow.org/v1alpha1")[0] == 404


def test_dynamic_client_finds_core_kinds(client):
    for kind in ("Namespace", "Secret", "ConfigMap", "ServiceAccount"):
        assert resource(client, kind).kind == kind
    names = [ns.metadata.name for ns in resource(client, "Namespace").get().items]
    assert {"default", "kube-system"} <= set(names)


# ----------------------------------------------------------------------------- CRDs and custom resources
def test_crd_becomes_established_and_discoverable(client, url):
    crd = create_poddefault_crd(client)
    conditions = {c["type"]: c["status"] for c in crd.to_dict()["status"]["conditions"]}
    assert conditions == {"Established": "True", "NamesAccepted": "True"}
    assert crd.status.acceptedNames.listKind == "PodDefaultList"
    groups = {g["name"] for g in raw(url, "GET", "/apis")[1]["groups"]}
    assert "kubeflow.org" in groups
    listing = raw(url, "GET", "/apis/kubeflow.org/v1alpha1")[1]
    assert [r["name"] for r in listing["resources"]] == ["poddefaults"]
    assert resource(client, "PodDefault", "kubeflow.org/v1alpha1").namespaced


def test_custom_resource_pruned_and_defaulted_by_schema(client):
    create_poddefault_crd(client)
    poddefaults = resource(client, "PodDefault", "kubeflow.org/v1alpha1")
    body = poddefault("mlflow", selector={"matchLabels": {"mlflow": "true"}}, desc="MLflow", bogus="dropped",
                      envFrom=[{"secretRef": {"name": "mlflow-token"}, "kept": "inside preserved items"}])
    body["extraTopLevel"] = 1
    created = poddefaults.create(body=body, namespace="default").to_dict()
    assert "bogus" not in created["spec"] and "extraTopLevel" not in created
    assert created["spec"]["envFrom"][0] == {"secretRef": {"name": "mlflow-token"}, "kept": "inside preserved items"}
    assert created["spec"]["selector"] == {"matchLabels": {"mlflow": "true"}}
    meta = created["metadata"]
    assert meta["uid"] and meta["generation"] == 1 and meta["creationTimestamp"].endswith("Z")
    assert isinstance(meta["resourceVersion"], str)


def test_custom_resource_violating_schema_is_422(client):
    create_poddefault_crd(client)
    poddefaults = resource(client, "PodDefault", "kubeflow.org/v1alpha1")
    with pytest.raises(DynamicApiError) as excinfo:
        poddefaults.create(body=poddefault("no-selector", desc="x"), namespace="default")
    status = api_error(excinfo)
    assert excinfo.value.status == 422 and status["reason"] == "Invalid" and status["kind"] == "Status"
    assert status["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value",
                                            "field": "spec.selector"}]
    assert status["message"] == 'PodDefault.kubeflow.org "no-selector" is invalid: spec.selector: Required value'
    with pytest.raises(DynamicApiError) as excinfo:
        poddefaults.create(body=poddefault("bad-type", selector={}, desc=5, command=["ok", 7]), namespace="default")
    fields = sorted(c["field"] for c in api_error(excinfo)["details"]["causes"])
    assert fields == ["spec.command[1]", "spec.desc"]
    assert not poddefaults.get(namespace="default").items


def test_strategic_merge_patch_on_custom_resource_is_415(url, client):
    create_poddefault_crd(client)
    raw(url, "POST", "/apis/kubeflow.org/v1alpha1/namespaces/default/poddefaults", poddefault("p", selector={}))
    path = "/apis/kubeflow.org/v1alpha1/namespaces/default/poddefaults/p"
    code, status = raw(url, "PATCH", path, {"spec": {"desc": "x"}}, "application/strategic-merge-patch+json")
    assert (code, status["reason"]) == (415, "UnsupportedMediaType")
    code, patched = raw(url, "PATCH", path, {"spec": {"desc": "x"}}, "application/merge-patch+json")
    assert code == 200 and patched["spec"] == {"selector": {}, "desc": "x"}
    assert patched["metadata"]["generation"] == 2


# ----------------------------------------------------------------------------- Secrets
def test_secret_string_data_becomes_base64_data(client):
    secrets = resource(client, "Secret")
    body = {"metadata": {"name": "creds"}, "data": {"user": "YWRtaW4="}, "stringData": {"token": "s3cret"}}
    created = secrets.create(body=body, namespace="default").to_dict()
    assert created["data"] == {"user": "YWRtaW4=", "token": "czNjcmV0"}
    assert "stringData" not in created and created["type"] == "Opaque"
    stored = secrets.get(name="creds", namespace="default").to_dict()
    assert stored["data"] == created["data"] and "stringData" not in stored
    with pytest.raises(DynamicApiError) as excinfo:
        secrets.patch(name="creds", namespace="default", body={"type": "kubernetes.io/tls"},
                      content_type="application/merge-patch+json")
    assert excinfo.value.status == 422


# ----------------------------------------------------------------------------- idempotency
def test_noop_writes_keep_resource_version(client):
    configmaps = resource(client, "ConfigMap")
    body = {"metadata": {"name": "settings", "labels": {"app": "mlflow"}}, "data": {"a": "1"}}
    created = configmaps.create(body=body, namespace="default")
    rv = created.metadata.resourceVersion
    for content_type in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        same = configmaps.patch(body=body, name="settings", namespace="default", content_type=content_type)
        assert same.metadata.resourceVersion == rv
    replaced = configmaps.replace(body=created.to_dict(), namespace="default")
    assert replaced.metadata.resourceVersion == rv and replaced.metadata.generation == 1
    changed = configmaps.patch(body={"data": {"a": "2"}}, name="settings", namespace="default",
                               content_type="application/merge-patch+json")
    assert int(changed.metadata.resourceVersion) > int(rv) and changed.metadata.generation == 2
    relabelled = configmaps.patch(body={"metadata": {"labels": {"tier": "x"}}}, name="settings",
                                  namespace="default", content_type="application/merge-patch+json")
    assert relabelled.metadata.generation == 2 and relabelled.metadata.labels.to_dict() == {"app": "mlflow",
                                                                                            "tier": "x"}
    with pytest.raises(DynamicApiError) as excinfo:  # stale resourceVersion
        configmaps.replace(body=created.to_dict(), namespace="default")
    assert excinfo.value.status == 409 and api_error(excinfo)["reason"] == "Conflict"


def test_strategic_merge_patch_merges_lists_by_name(url):
    sa = {"metadata": {"name": "runner"}, "secrets": [{"name": "a"}, {"name": "b"}]}
    assert raw(url, "POST", "/api/v1/namespaces/default/serviceaccounts", sa)[0] == 201
    code, patched = raw(url, "PATCH", "/api/v1/namespaces/default/serviceaccounts/runner",
                        {"secrets": [{"name": "c"}, {"name": "a", "$patch": "delete"}]},
                        "application/strategic-merge-patch+json")
    assert code == 200 and patched["secrets"] == [{"name": "b"}, {"name": "c"}]


# ----------------------------------------------------------------------------- errors
def test_namespaced_object_needs_existing_namespace(client):
    with pytest.raises(DynamicApiError) as excinfo:
        resource(client, "Secret").create(body={"metadata": {"name": "s"}}, namespace="nope")
    status = api_error(excinfo)
    assert excinfo.value.status == 404
    assert (status["kind"], status["apiVersion"], status["status"]) == ("Status", "v1", "Failure")
    assert status["reason"] == "NotFound" and status["message"] == 'namespaces "nope" not found'
    assert status["details"] == {"name": "nope", "kind": "namespaces"} and status["code"] == 404


def test_status_bodies_for_conflicts_and_unsupported_requests(url):
    cm = {"metadata": {"name": "c"}}
    assert raw(url, "POST", "/api/v1/namespaces/default/configmaps", cm)[0] == 201
    code, status = raw(url, "POST", "/api/v1/namespaces/default/configmaps", cm)
    assert (code, status["reason"], status["message"]) == (409, "AlreadyExists", 'configmaps "c" already exists')
    path = "/api/v1/namespaces/default/configmaps/c"
    assert raw(url, "PATCH", path, {}, "application/apply-patch+yaml")[0] == 415
    assert raw(url, "PATCH", path, {}, "text/plain")[1]["reason"] == "UnsupportedMediaType"
    assert raw(url, "GET", "/api/v1/namespaces/default/configmaps?watch=true")[1]["reason"] == "MethodNotAllowed"
    assert raw(url, "GET", "/api/v1/namespaces/default/configmaps/missing")[1]["message"] == \
        'configmaps "missing" not found'
    code, status = raw(url, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "n"},
                                                                              "data": {"port": 5000}})
    assert (code, status["reason"]) == (400, "BadRequest")


def test_dry_run_and_generate_name(url):
    path = "/api/v1/namespaces/default/configmaps"
    code, created = raw(url, "POST", path + "?dryRun=All", {"metadata": {"generateName": "cm-"}})
    assert code == 201 and created["metadata"]["name"].startswith("cm-") and len(created["metadata"]["name"]) == 8
    assert raw(url, "GET", path)[1]["items"] == []
    code, created = raw(url, "POST", path, {"metadata": {"generateName": "cm-"}})
    assert code == 201 and created["metadata"]["generateName"] == "cm-"
    assert len(raw(url, "GET", path)[1]["items"]) == 1


# ----------------------------------------------------------------------------- list and selectors
def test_list_with_label_and_field_selectors(client, url):
    configmaps = resource(client, "ConfigMap")
    resource(client, "Namespace").create(body={"metadata": {"name": "team-a"}})
    for namespace, name, labels in (("default", "one", {"app": "mlflow", "tier": "db"}),
                                    ("default", "two", {"app": "mlflow"}),
                                    ("default", "three", {"app": "other"}),
                                    ("team-a", "four", {"app": "mlflow", "tier": "web"})):
        configmaps.create(body={"metadata": {"name": name, "labels": labels}}, namespace=namespace)

    def names(**kwargs):
        return sorted(i.metadata.name for i in configmaps.get(**kwargs).items)

    assert names(namespace="default", label_selector="app=mlflow") == ["one", "two"]
    assert names(namespace="default", label_selector="app!=mlflow") == ["three"]
    assert names(label_selector="tier") == ["four", "one"]
    assert names(namespace="default", label_selector="!tier") == ["three", "two"]
    assert names(label_selector="tier in (db,web),app==mlflow") == ["four", "one"]
    assert names(label_selector="app notin (mlflow)") == ["three"]
    assert names(field_selector="metadata.name=two") == ["two"]
    assert names(field_selector="metadata.namespace=team-a") == ["four"]
    everything = raw(url, "GET", "/api/v1/configmaps")[1]
    assert everything["kind"] == "ConfigMapList" and everything["apiVersion"] == "v1"
    assert everything["metadata"]["resourceVersion"].isdigit()
    assert len(everything["items"]) == 4
    assert all(i["kind"] == "ConfigMap" and i["apiVersion"] == "v1" for i in everything["items"])
    assert raw(url, "GET", "/api/v1/configmaps?labelSelector=a%20in%20(x")[0] == 400


# ----------------------------------------------------------------------------- JSON patch
def test_json_patch_operations(url):
    raw(url, "POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "j"}, "data": {"a": "1"}})
    path = "/api/v1/namespaces/default/configmaps/j"
    ops = [{"op": "test", "path": "/data/a", "value": "1"},
           {"op": "add", "path": "/data/b", "value": "2"},
           {"op": "replace", "path": "/data/a", "value": "10"},
           {"op": "copy", "from": "/data/b", "path": "/data/c"},
           {"op": "move", "from": "/data/b", "path": "/data/d"},
           {"op": "remove", "path": "/data/c"},
           {"op": "add", "path": "/metadata/labels", "value": {"x~y/z": "1"}}]
    code, patched = raw(url, "PATCH", path, ops, "application/json-patch+json")
    assert code == 200 and patched["data"] == {"a": "10", "d": "2"}
    code, status = raw(url, "PATCH", path, [{"op": "test", "path": "/data/a", "value": "1"}],
                       "application/json-patch+json")
    assert (code, status["reason"]) == (422, "Invalid")
    code, status = raw(url, "PATCH", path, [{"op": "remove", "path": "/data/missing"}], "application/json-patch+json")
    assert code == 422
    assert raw(url, "GET", path)[1]["data"] == {"a": "10", "d": "2"}


# ----------------------------------------------------------------------------- delete
def test_delete_object(client):
    secrets = resource(client, "Secret")
    secrets.create(body={"metadata": {"name": "gone"}}, namespace="default")
    deleted = secrets.delete(name="gone", namespace="default")
    assert deleted.metadata.name == "gone"
    with pytest.raises(DynamicApiError) as excinfo:
        secrets.get(name="gone", namespace="default")
    assert excinfo.value.status == 404
    with pytest.raises(DynamicApiError) as excinfo:
        secrets.delete(name="gone", namespace="default")
    assert excinfo.value.status == 404 and api_error(excinfo)["reason"] == "NotFound"


def test_namespace_deletion_terminates_then_removes_contents(client, url):
    namespaces, secrets = resource(client, "Namespace"), resource(client, "Secret")
    namespaces.create(body={"metadata": {"name": "doomed"}})
    secrets.create(body={"metadata": {"name": "inside"}}, namespace="doomed")
    deleted = namespaces.delete(name="doomed")
    assert deleted.status.phase == "Terminating" and deleted.metadata.deletionTimestamp
    code, status = raw(url, "POST", "/api/v1/namespaces/doomed/secrets", {"metadata": {"name": "late"}})
    assert (code, status["reason"]) == (403, "Forbidden")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and raw(url, "GET", "/api/v1/namespaces/doomed")[0] != 404:
        time.sleep(0.05)
    assert raw(url, "GET", "/api/v1/namespaces/doomed")[0] == 404
    assert raw(url, "GET", "/api/v1/secrets?fieldSelector=metadata.namespace%3Ddoomed")[1]["items"] == []


def test_deleting_crd_removes_kind_and_objects(client, url):
    create_poddefault_crd(client)
    raw(url, "POST", "/apis/kubeflow.org/v1alpha1/namespaces/default/poddefaults", poddefault("p", selector={}))
    assert raw(url, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/poddefaults.kubeflow.org")[0] \
        == 200
    assert raw(url, "GET", "/apis/kubeflow.org/v1alpha1")[0] == 404
    assert "kubeflow.org" not in {g["name"] for g in raw(url, "GET", "/apis")[1]["groups"]}


# ----------------------------------------------------------------------------- command line
def test_command_line_writes_kubeconfig_and_ready_file(tmp_path):
    kubeconfig, ready = tmp_path / "kubeconfig", tmp_path / "ready"
    process = subprocess.Popen([sys.executable, str(HARNESS / "kube_standin.py"), "--port", "0",
                                "--kubeconfig", str(kubeconfig), "--ready-file", str(ready)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(ready.read_text())
        loaded = yaml.safe_load(kubeconfig.read_text())
        assert loaded["clusters"][0]["cluster"]["server"] == f"http://127.0.0.1:{port}"
        assert loaded["contexts"][0]["context"]["namespace"] == "default"
        assert raw(f"http://127.0.0.1:{port}", "GET", "/version")[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


# ----------------------------------------------------------------------------- the real module path
PLAYBOOK = """
- name: kube-standin idempotency check with kubernetes.core
  hosts: localhost
  gather_facts: false
  vars:
    crd_path: "{crd}"
    target_namespace: mlflow-standin
  tasks:
    - name: Namespace
      kubernetes.core.k8s:
        definition:
          apiVersion: v1
          kind: Namespace
          metadata:
            name: "{{{{ target_namespace }}}}"
    - name: PodDefault CRD
      kubernetes.core.k8s:
        src: "{{{{ crd_path }}}}"
        wait: true
        wait_condition:
          type: Established
          status: "True"
    - name: Secret with base64 data
      no_log: true
      kubernetes.core.k8s:
        hidden_fields: [data, stringData]
        definition:
          apiVersion: v1
          kind: Secret
          metadata:
            name: mlflow-token
            namespace: "{{{{ target_namespace }}}}"
            labels:
              app.kubernetes.io/part-of: mlflow
          data:
            MLFLOW_TRACKING_TOKEN: "{{{{ 'not-a-real-token' | b64encode }}}}"
    - name: PodDefault
      kubernetes.core.k8s:
        definition:
          apiVersion: kubeflow.org/v1alpha1
          kind: PodDefault
          metadata:
            name: mlflow-access
            namespace: "{{{{ target_namespace }}}}"
          spec:
            desc: Access to MLflow
            selector:
              matchLabels:
                mlflow-access: "true"
            env:
              - name: MLFLOW_TRACKING_URI
                value: http://mlflow.mlflow.svc:5000
            envFrom:
              - secretRef:
                  name: mlflow-token
    - name: Read the PodDefault back
      kubernetes.core.k8s_info:
        api_version: kubeflow.org/v1alpha1
        kind: PodDefault
        namespace: "{{{{ target_namespace }}}}"
        label_selectors: []
      register: found
    - name: Check it
      ansible.builtin.assert:
        that:
          - found.resources | length == 1
          - found.resources[0].spec.envFrom[0].secretRef.name == 'mlflow-token'
"""
WRITE_TASKS = ["Namespace", "PodDefault CRD", "Secret with base64 data", "PodDefault"]


def run_playbook(playbook: Path, kubeconfig: Path, tmpdir: Path) -> tuple[str, float]:
    # The `json` stdout callback lives in ansible.posix, which is not installed: parse the default one.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
               ANSIBLE_PYTHON_INTERPRETER=str(CONTROLLER_BIN / "python"), K8S_AUTH_KUBECONFIG=str(kubeconfig),
               TMPDIR=str(tmpdir), ANSIBLE_HOME=str(tmpdir / "ansible-home"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_DISPLAY_OK_HOSTS="true",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    env.pop("K8S_AUTH_CONTEXT", None)
    started = time.monotonic()
    result = subprocess.run([str(CONTROLLER_BIN / "ansible-playbook"), str(playbook)], env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout, elapsed


def task_results(stdout: str) -> dict[str, str]:
    """Maps each task name to the status the default callback printed for localhost (ok, changed...)."""
    results = {}
    for block in re.split(r"^TASK \[", stdout, flags=re.M)[1:]:
        name = block.split("]", 1)[0]
        found = re.search(r"^(ok|changed|skipping|failed|fatal): \[localhost\]", block, flags=re.M)
        results[name] = found.group(1) if found else "?"
    return results


def recap(stdout: str) -> dict[str, int]:
    line = re.search(r"^localhost\s+:(.*)$", stdout, flags=re.M).group(1)
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}


@pytest.mark.skipif(not (CONTROLLER_BIN / "ansible-playbook").exists()
                    or not (COLLECTIONS / "ansible_collections/kubernetes/core/MANIFEST.json").exists(),
                    reason="needs .venv/controller and kubernetes.core (tests/harness/bootstrap.sh)")
def test_kubernetes_core_playbook_is_idempotent(kubeconfig, tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(PLAYBOOK.format(crd=CRD_MANIFEST))
    first, first_seconds = run_playbook(playbook, kubeconfig, tmpdir)
    first_results = task_results(first)
    assert [first_results[name] for name in WRITE_TASKS] == ["changed"] * len(WRITE_TASKS), first
    second, second_seconds = run_playbook(playbook, kubeconfig, tmpdir)
    second_results = task_results(second)
    assert list(second_results) == list(first_results) and len(second_results) == 6, second
    assert set(second_results.values()) == {"ok"}, second
    assert recap(second)["changed"] == 0 and recap(second)["failed"] == 0, second
    print(f"ansible-playbook: first run {first_seconds:.1f}s, second run {second_seconds:.1f}s")
