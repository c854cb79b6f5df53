"""mlflow_registered_model / mlflow_prompt against a real server; prompts are checked with MLflow's own client."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MLFLOW_PYTHON = os.path.join(ROOT, ".venv", "mlflow11", "bin", "python")
API = "/api/2.0/mlflow"


def model(mlflow, name):
    status, body = mlflow.get(API + "/registered-models/get", name=name)
    if status == 404:
        return None
    assert status == 200, body
    rm = body["registered_model"]
    return {"description": rm.get("description", ""), "tags": {t["key"]: t["value"] for t in rm.get("tags", [])}}


def versions(mlflow, name):
    status, body = mlflow.get(API + "/model-versions/search", filter="name = '%s' AND tags.`mlflow.prompt.is_prompt` = 'true'" % name)
    assert status == 200, body
    return sorted(int(v["version"]) for v in body.get("model_versions", []))


def rm_task(**args):
    return [{"name": "rm", "prokube.mlflow.mlflow_registered_model": args, "register": "out"}]


def prompt_task(**args):
    return [{"name": "prompt", "prokube.mlflow.mlflow_prompt": args, "register": "out"}]


def raw(text):
    """Keep Ansible from templating MLflow's double-brace placeholders."""
    return "{% raw %}" + text + "{% endraw %}"


def load_prompt(mlflow, uri):
    """What MLflow's own client sees (mlflow.genai.load_prompt), run in the server's venv."""
    env = dict(os.environ, MLFLOW_TRACKING_URI=mlflow.url, MLFLOW_TRACKING_USERNAME=mlflow.admin_username,
               MLFLOW_TRACKING_PASSWORD=mlflow.admin_token)
    code = ("import json, sys, mlflow; p = mlflow.genai.load_prompt(sys.argv[1]); "
            "print(json.dumps({'template': p.template, 'version': p.version}))")
    out = subprocess.run([MLFLOW_PYTHON, "-c", code, uri], env=env, capture_output=True, text=True, timeout=180, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_registered_model_lifecycle(mlflow, uid):
    name = "alpha-classifier-%s" % uid
    check, real, again = check_real_rerun(mlflow, rm_task(name=name, description="churn", tags={"team": "alpha", "n": 1}),
                                          "rm", lambda: model(mlflow, name))
    assert model(mlflow, name) == {"description": "churn", "tags": {"team": "alpha", "n": "1"}}
    assert check.result("rm")["diff"]["after"]["tags"] == {"team": "alpha", "n": "1"}
    assert again.result("rm")["http_requests"] == 2  # probe + get
    check_real_rerun(mlflow, rm_task(name=name, description="churn v2", tags={"team": "beta"}, purge_tags=True), "rm",
                     lambda: model(mlflow, name))
    assert model(mlflow, name) == {"description": "churn v2", "tags": {"team": "beta"}}
    check_real_rerun(mlflow, rm_task(name=name, state="absent"), "rm", lambda: model(mlflow, name))
    assert model(mlflow, name) is None


def test_prompt_versions_only_when_the_template_changes(mlflow, uid):
    name = "alpha-summarize-%s" % uid
    t1 = "Summarize in {{num_sentences}} sentences: {{sentences}}"
    check, real, again = check_real_rerun(
        mlflow, prompt_task(name=name, template=raw(t1), description="summaries", tags={"team": "alpha"},
                            commit_message="first"), "prompt", lambda: (model(mlflow, name), versions(mlflow, name)))
    assert model(mlflow, name) == {"description": "summaries", "tags": {"team": "alpha", "mlflow.prompt.is_prompt": "true"}}
    assert versions(mlflow, name) == [1]
    assert check.result("prompt")["diff"]["after"]["latest_version"]["version"] == 1
    assert real.result("prompt")["latest_version"] == {"version": 1, "template": t1, "prompt_type": "text",
                                                       "commit_message": "first"}
    assert again.result("prompt")["prompt"]["tags"] == {"team": "alpha"}
    assert again.result("prompt")["http_requests"] == 3  # probe + model + latest version
    assert load_prompt(mlflow, "prompts:/%s@latest" % name) == {"template": t1, "version": 1}

    t2 = "Summarize briefly: {{sentences}}"
    check, real, _again = check_real_rerun(mlflow, prompt_task(name=name, template=raw(t2)), "prompt",
                                           lambda: versions(mlflow, name))
    assert versions(mlflow, name) == [1, 2]
    assert check.result("prompt")["latest_version"]["version"] == 2
    assert load_prompt(mlflow, "prompts:/%s@latest" % name) == {"template": t2, "version": 2}
    assert load_prompt(mlflow, "prompts:/%s/1" % name)["template"] == t1

    # no template: versions are left alone; a description change is one change
    check_real_rerun(mlflow, prompt_task(name=name, description="short summaries"), "prompt", lambda: model(mlflow, name))
    assert versions(mlflow, name) == [1, 2]


def test_chat_prompt(mlflow, uid):
    name = "alpha-chat-%s" % uid
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": raw("Hello {{name}}")}]
    check_real_rerun(mlflow, prompt_task(name=name, template=messages), "prompt", lambda: versions(mlflow, name))
    loaded = load_prompt(mlflow, "prompts:/%s@latest" % name)
    assert loaded["template"] == [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hello {{name}}"}]


def test_prompt_and_model_names_do_not_mix(mlflow, uid):
    name = "mixed-%s" % uid
    mlflow.run(rm_task(name=name)).assert_ok()
    run = mlflow.run(prompt_task(name=name, template="x"))
    assert run.rc != 0 and "is a registered model, not a prompt" in run.result("prompt")["msg"]
    pname = "mixed-p-%s" % uid
    mlflow.run(prompt_task(name=pname, template="x")).assert_ok()
    run = mlflow.run(rm_task(name=pname, description="d"))
    assert run.rc != 0 and "is a prompt" in run.result("rm")["msg"]
    assert model(mlflow, pname)["description"] == ""


def test_prompt_absent(mlflow, uid):
    name = "gone-%s" % uid
    mlflow.run(prompt_task(name=name, template="one")).assert_ok()
    mlflow.run(prompt_task(name=name, template="two")).assert_ok()
    check_real_rerun(mlflow, prompt_task(name=name, state="absent"), "prompt", lambda: model(mlflow, name))
    assert model(mlflow, name) is None


def test_prompt_needs_a_template_to_be_created(mlflow, uid):
    run = mlflow.run(prompt_task(name="empty-%s" % uid, description="no template"))
    assert run.rc != 0 and "template is required" in run.result("prompt")["msg"]
    assert model(mlflow, "empty-%s" % uid) is None
