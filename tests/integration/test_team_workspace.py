"""The team_workspace role against a real mlflow-oidc-auth server and the Kubernetes stand-in (or a real cluster).

The admin guide's "Team Collaboration Setup" steps 1-6 for one team name: check mode writes nothing, a first run
sets everything up, a rerun changes nothing, the Secret's token works as the service account, the token is
rotated only when it stops working, it never shows in the output, and state=absent removes what it should.
Set PROKUBE_REAL_KUBECONFIG to run the same against a real cluster (the kube fixture, tests/integration/conftest.py).
"""
import base64
import os
import sys

import pytest
import requests
from kubernetes.dynamic.exceptions import NotFoundError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
import ansible_runner  # noqa: E402

PLAYBOOKS = os.path.join(ansible_runner.ROOT, "playbooks")
GUIDE_PODDEFAULT_SPEC = {
    "selector": {"matchLabels": {"mlflow-team-access": "true"}},
    "desc": "MLflow team credentials",
    "envFrom": [{"secretRef": {"name": "mlflow-team-credentials"}}],
}


def role_play(mlflow, team, defaults="oidc", **role_vars):
    """One play applying the role for ``team`` with the admin's connection in module_defaults."""
    md = mlflow.oidc_defaults() if defaults == "oidc" else defaults
    play = {"name": "team", "hosts": "localhost", "gather_facts": False,
            "vars": dict({"team_workspace_name": team, "team_workspace_tracking_uri": mlflow.url}, **role_vars),
            "roles": [{"role": "prokube.mlflow.team_workspace"}]}
    if md:
        play["module_defaults"] = {"group/prokube.mlflow.mlflow": md}
    return [play]


def run_role(mlflow, kube, team, check=False, diff=False, verbosity=0, env=None, defaults="oidc", **role_vars):
    run_env = {"K8S_AUTH_KUBECONFIG": kube["kubeconfig"]}
    run_env.update(env or {})
    return ansible_runner.run_playbook(role_play(mlflow, team, defaults, **role_vars), check=check, diff=diff,
                                       verbosity=verbosity, env=run_env)


def changed_tasks(run):
    return [r["task"] for r in run.records if r["result"].get("changed")]


def k8s_get(kube, api_version, kind, namespace, name):
    try:
        return kube["client"].resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace).to_dict()
    except NotFoundError:
        return None


def secret_of(kube, team):
    return k8s_get(kube, "v1", "Secret", team, "mlflow-team-credentials")


def secret_values(secret):
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def as_service_account(secret, path, **params):
    values = secret_values(secret)
    return requests.get(values["MLFLOW_TRACKING_URI"].rstrip("/") + path, params=params or None, timeout=10,
                        auth=(values["MLFLOW_TRACKING_USERNAME"], values["MLFLOW_TRACKING_PASSWORD"]))


def mlflow_state(mlflow, team):
    """What the role would create in MLflow, as the admin sees it."""
    groups = mlflow.get("/api/2.0/mlflow/permissions/groups")[1]
    return {"group": "pk:%s" % team in (groups if isinstance(groups, list) else groups.get("groups", [])),
            "experiment": mlflow.experiment("%s-exp1" % team),
            "service_account": mlflow.get("/api/2.0/mlflow/users/svc-%s" % team)[0]}


@pytest.fixture
def team(uid):
    return "tw-%s" % uid


def test_check_converge_rerun_and_notebook_view(mlflow, kube, team):
    # 1. check mode on a fresh team: changes predicted, nothing written anywhere
    check = run_role(mlflow, kube, team, check=True).assert_ok()
    predicted = changed_tasks(check)
    assert any("MLflow group" in t for t in predicted), predicted
    assert any("Access token" in t for t in predicted), predicted
    assert any("Predicted Secret and PodDefault" in t for t in predicted), predicted
    assert mlflow_state(mlflow, team) == {"group": False, "experiment": None, "service_account": 404}
    assert k8s_get(kube, "v1", "Namespace", None, team) is None

    # 2. converge
    real = run_role(mlflow, kube, team, diff=True).assert_ok()
    done = changed_tasks(real)
    for fragment in ("MLflow group", "Experiments", "Grants of group", "Service account", "Grants of service account",
                     "Access token", "Credentials Secret in namespace", "PodDefault in namespace"):
        assert any(fragment in t for t in done), (fragment, done)

    # 3. rerun: no task changes anything; check mode on the converged team predicts nothing either
    again = run_role(mlflow, kube, team, verbosity=1).assert_ok()
    assert changed_tasks(again) == [], changed_tasks(again)
    assert "changed=0" in again.stdout and "failed=0" in again.stdout
    check_again = run_role(mlflow, kube, team, check=True, diff=True).assert_ok()
    assert changed_tasks(check_again) == []

    # 4. the notebook's view: the Secret's three variables reach MLflow as the service account
    secret = secret_of(kube, team)
    assert secret["type"] == "Opaque"
    values = secret_values(secret)
    assert values["MLFLOW_TRACKING_URI"] == mlflow.url
    assert values["MLFLOW_TRACKING_USERNAME"] == "svc-%s" % team
    who = as_service_account(secret, "/api/2.0/mlflow/users/current")
    assert who.status_code == 200 and who.json()["username"] == "svc-%s" % team
    exp = as_service_account(secret, "/api/2.0/mlflow/experiments/get-by-name", experiment_name="%s-exp1" % team)
    assert exp.status_code == 200, exp.text
    meta = secret["metadata"]
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (meta.get("annotations") or {})
    assert meta["annotations"]["mlflow.prokube.io/token-expires-at"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "prokube.mlflow"

    # 5. the group's grant, the service account's display name, the PodDefault as in the guide
    status, grants = mlflow.get("/api/2.0/mlflow/permissions/groups/pk:%s/experiments" % team)
    assert status == 200
    assert {(g["name"], g["permission"]) for g in grants} == {("%s-exp1" % team, "EDIT")}
    user = mlflow.get("/api/2.0/mlflow/users/svc-%s" % team)[1]
    words = [w.upper() if len(w) <= 2 else w.capitalize() for w in team.split("-")]  # ds-team-alpha: DS Team Alpha
    assert user["is_service_account"] is True and user["display_name"] == " ".join(words) + " Service Account"
    pd = k8s_get(kube, "kubeflow.org/v1alpha1", "PodDefault", team, "mlflow-team-access")
    assert pd["spec"] == GUIDE_PODDEFAULT_SPEC

    # 6. the token never shows in any output (normal, --diff, -v, check mode)
    token = values["MLFLOW_TRACKING_PASSWORD"]
    encoded = base64.b64encode(token.encode()).decode()
    for run in (check, real, again, check_again):
        assert token not in run.output and encoded not in run.output
        assert token.split("_")[2] not in run.output

    # 7. no rotation while the token is good: the Secret is untouched
    assert secret_of(kube, team)["metadata"]["resourceVersion"] == meta["resourceVersion"]


def test_rotation_when_the_token_stops_working(mlflow, kube, team):
    run_role(mlflow, kube, team).assert_ok()
    old = secret_values(secret_of(kube, team))["MLFLOW_TRACKING_PASSWORD"]
    sa = "svc-%s" % team
    # revoke the token on the server: the Secret's token no longer authenticates
    tokens = mlflow.get("/api/2.0/mlflow/users/%s/tokens" % sa)[1]["tokens"]
    for t in tokens:
        assert mlflow.rest.delete("%s/api/2.0/mlflow/users/%s/tokens/%s" % (mlflow.url, sa, t["id"])).status_code in (200, 204)
    check = run_role(mlflow, kube, team, check=True).assert_ok()
    assert set(changed_tasks(check)) >= {"team_workspace : Access token of %s" % sa} or \
        any("Access token" in t for t in changed_tasks(check))
    assert secret_values(secret_of(kube, team))["MLFLOW_TRACKING_PASSWORD"] == old  # check mode wrote nothing
    rotated = run_role(mlflow, kube, team).assert_ok()
    done = changed_tasks(rotated)
    assert any("Access token" in t for t in done) and any("Credentials Secret" in t for t in done), done
    assert not any("PodDefault" in t or "Grants" in t for t in done), done
    secret = secret_of(kube, team)
    new = secret_values(secret)["MLFLOW_TRACKING_PASSWORD"]
    assert new != old and new not in rotated.output
    assert as_service_account(secret, "/api/2.0/mlflow/users/current").status_code == 200
    assert changed_tasks(run_role(mlflow, kube, team).assert_ok()) == []

    # the Secret deleted by someone: a new token is minted (the old one is unknown), the Secret comes back
    kube["client"].resources.get(api_version="v1", kind="Secret").delete(name="mlflow-team-credentials", namespace=team)
    again = run_role(mlflow, kube, team).assert_ok()
    assert any("Access token" in t for t in changed_tasks(again))
    third = secret_values(secret_of(kube, team))["MLFLOW_TRACKING_PASSWORD"]
    assert third != new
    assert as_service_account(secret_of(kube, team), "/api/2.0/mlflow/users/current").status_code == 200
    # the replaced token is dead (the server's "default" token is replaced in one step)
    assert requests.get(mlflow.url + "/api/2.0/mlflow/users/current", auth=(sa, new), timeout=10).status_code == 401


def test_token_expiring_within_window_is_rotated(mlflow, kube, team):
    run_role(mlflow, kube, team, team_workspace_token_expires_in_days=20, team_workspace_token_rotate_before_days=10)
    first = secret_values(secret_of(kube, team))["MLFLOW_TRACKING_PASSWORD"]
    same = run_role(mlflow, kube, team, team_workspace_token_rotate_before_days=10).assert_ok()
    assert changed_tasks(same) == []
    rotate = run_role(mlflow, kube, team, team_workspace_token_rotate_before_days=25).assert_ok()
    assert any("Access token" in t for t in changed_tasks(rotate))
    assert secret_values(secret_of(kube, team))["MLFLOW_TRACKING_PASSWORD"] != first


def test_models_prompts_and_env_connection(mlflow, kube, team):
    """Connection from the MLFLOW_* environment only; extra resources get both grants."""
    env = mlflow.env(MLFLOW_OIDC_DISCOVERY_URL=mlflow.idp["discovery_url"], MLFLOW_OIDC_CLIENT_ID=mlflow.idp["client_id"],
                     MLFLOW_OIDC_CLIENT_SECRET=mlflow.idp["client_secret"], MLFLOW_OIDC_REFRESH_TOKEN=mlflow.refresh_token)
    extra = dict(team_workspace_experiments=["%s-exp1" % team, {"name": "%s-exp2" % team, "tags": {"team": team}}],
                 team_workspace_registered_models=[{"name": "%s-model" % team, "description": "the team's model"}],
                 team_workspace_prompts=[{"name": "%s-prompt" % team, "template": "Summarise: {{ '{{' }}text{{ '}}' }}"}],
                 team_workspace_group_permission="READ")
    check = run_role(mlflow, kube, team, check=True, defaults=None, env=env, **extra).assert_ok()
    assert any("Predicted grants of group" in t for t in changed_tasks(check))
    real = run_role(mlflow, kube, team, defaults=None, env=env, **extra).assert_ok()
    assert any("Registered models" in t for t in changed_tasks(real))
    assert changed_tasks(run_role(mlflow, kube, team, defaults=None, env=env, **extra).assert_ok()) == []
    g = "pk:%s" % team
    assert {x["name"]: x["permission"] for x in mlflow.get("/api/2.0/mlflow/permissions/groups/%s/experiments" % g)[1]} == \
        {"%s-exp1" % team: "READ", "%s-exp2" % team: "READ"}
    models = mlflow.get("/api/2.0/mlflow/permissions/groups/%s/registered-models" % g)[1]
    assert ("%s-model" % team, "READ") in {(x["name"], x["permission"]) for x in models}
    secret = secret_of(kube, team)
    r = as_service_account(secret, "/api/2.0/mlflow/registered-models/get", name="%s-model" % team)
    assert r.status_code == 200, r.text


def test_absent(mlflow, kube, team):
    run_role(mlflow, kube, team).assert_ok()
    check = run_role(mlflow, kube, team, check=True, team_workspace_state="absent").assert_ok()
    assert changed_tasks(check)
    assert secret_of(kube, team) is not None and mlflow.get("/api/2.0/mlflow/users/svc-%s" % team)[0] == 200
    gone = run_role(mlflow, kube, team, team_workspace_state="absent").assert_ok()
    assert changed_tasks(gone)
    assert secret_of(kube, team) is None
    assert k8s_get(kube, "kubeflow.org/v1alpha1", "PodDefault", team, "mlflow-team-access") is None
    assert mlflow.get("/api/2.0/mlflow/users/svc-%s" % team)[0] == 404
    assert mlflow.get("/api/2.0/mlflow/permissions/groups/pk:%s/experiments" % team)[1] == []
    assert mlflow.experiment("%s-exp1" % team)["lifecycle_stage"] == "active"  # kept unless asked
    assert changed_tasks(run_role(mlflow, kube, team, team_workspace_state="absent").assert_ok()) == []
    run_role(mlflow, kube, team, team_workspace_state="absent", team_workspace_remove_experiments=True).assert_ok()
    assert mlflow.experiment("%s-exp1" % team)["lifecycle_stage"] == "deleted"
    # a team that never existed: nothing to do, nothing fails
    never = team + "-never"
    assert changed_tasks(run_role(mlflow, kube, never, team_workspace_state="absent").assert_ok()) == []


def test_many_teams_playbook(mlflow, kube, uid, tmp_path):
    teams = ["tws-%s-%d" % (uid, i) for i in range(3)]
    conn = mlflow.oidc_defaults()
    teams_file = tmp_path / "teams.yml"
    import yaml
    teams_file.write_text(yaml.safe_dump({
        "mlflow_tracking_uri": conn["tracking_uri"], "mlflow_username": conn["username"], "mlflow_password": conn["password"],
        "mlflow_oidc_discovery_url": conn["oidc_discovery_url"], "mlflow_oidc_client_id": conn["oidc_client_id"],
        "mlflow_oidc_client_secret": conn["oidc_client_secret"], "mlflow_oidc_refresh_token": conn["oidc_refresh_token"],
        "team_workspace_defaults": {"team_workspace_token_expires_in_days": 90},
        "teams": [{"team_workspace_name": t} for t in teams]}))
    env = {"K8S_AUTH_KUBECONFIG": kube["kubeconfig"]}
    args = ("-e", "teams_file=%s" % teams_file, "-f", "5")
    first = ansible_runner.run_playbook(os.path.join(PLAYBOOKS, "team_workspaces.yml"), env=env, args=args).assert_ok()
    assert {r["host"] for r in first.records} >= set(teams)
    for secret_value in (conn["password"], conn["oidc_refresh_token"], conn["oidc_client_secret"]):
        assert secret_value not in first.output
    again = ansible_runner.run_playbook(os.path.join(PLAYBOOKS, "team_workspaces.yml"), env=env, args=args + ("-v",)).assert_ok()
    assert changed_tasks(again) == []
    assert conn["password"] not in again.output and conn["oidc_refresh_token"] not in again.output
    for t in teams:
        secret = secret_of(kube, t)
        assert as_service_account(secret, "/api/2.0/mlflow/experiments/get-by-name",
                                  experiment_name="%s-exp1" % t).status_code == 200


def test_one_team_playbook_with_env_connection(mlflow, kube, team):
    env = mlflow.env(MLFLOW_OIDC_DISCOVERY_URL=mlflow.idp["discovery_url"], MLFLOW_OIDC_CLIENT_ID=mlflow.idp["client_id"],
                     MLFLOW_OIDC_CLIENT_SECRET=mlflow.idp["client_secret"], MLFLOW_OIDC_REFRESH_TOKEN=mlflow.refresh_token,
                     K8S_AUTH_KUBECONFIG=kube["kubeconfig"])
    pb = os.path.join(PLAYBOOKS, "team_workspace.yml")
    first = ansible_runner.run_playbook(pb, env=env, extra_vars={"team_workspace_name": team}).assert_ok()
    assert changed_tasks(first)
    again = ansible_runner.run_playbook(pb, env=env, extra_vars={"team_workspace_name": team}).assert_ok()
    assert changed_tasks(again) == []
    assert secret_values(secret_of(kube, team))["MLFLOW_TRACKING_URI"] == mlflow.url
