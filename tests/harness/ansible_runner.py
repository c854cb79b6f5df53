"""Run real `ansible-playbook` from tests and read back each task's result.

Used by the integration tests, the demo and the benchmark. The collection is made importable as
``prokube.mlflow`` through a symlinked ``ansible_collections/prokube/mlflow`` under ``.run/``.
"""
import json
import os
import subprocess
import tempfile
import textwrap

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(ROOT, ".venv", "controller")
RUN_DIR = os.path.join(ROOT, ".run")
COLLECTIONS = os.path.join(RUN_DIR, "collections")
DEPS = os.path.join(ROOT, ".cache", "collections")
CALLBACKS = os.path.join(ROOT, "tests", "harness", "callback_plugins")


def ensure_collection_link():
    """.run/collections/ansible_collections/prokube/mlflow -> the repository root."""
    parent = os.path.join(COLLECTIONS, "ansible_collections", "prokube")
    link = os.path.join(parent, "mlflow")
    os.makedirs(parent, exist_ok=True)
    if not os.path.islink(link):
        if os.path.exists(link):
            raise RuntimeError("%s exists and is not a symlink" % link)
        os.symlink(ROOT, link)
    return COLLECTIONS


def ansible_env(extra=None):
    ensure_collection_link()
    env = dict(os.environ)
    for key in list(env):  # a test decides itself which MLflow settings are in the environment
        if key.startswith("MLFLOW_"):
            del env[key]
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join([COLLECTIONS, DEPS]),
        "ANSIBLE_PYTHON_INTERPRETER": os.path.join(VENV, "bin", "python"),
        "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
        "ANSIBLE_CALLBACKS_ENABLED": "results_recorder",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_ROLES_PATH": os.path.join(ROOT, "roles"),
        "ANSIBLE_HOME": os.path.join(RUN_DIR, "ansible-home"),
        "PATH": os.path.join(VENV, "bin") + os.pathsep + env.get("PATH", ""),
    })
    env.update(extra or {})
    return env


class PlaybookRun(object):
    def __init__(self, proc, records, playbook):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.records = records
        self.playbook = playbook

    @property
    def output(self):
        return self.stdout + self.stderr

    def task(self, name, host=None):
        found = [r for r in self.records if r["task"] == name and (host is None or r["host"] == host)]
        if not found:
            raise AssertionError("no result for task %r; tasks run: %s\n%s" % (
                name, [r["task"] for r in self.records], self.output[-3000:]))
        return found[-1]

    def result(self, name, host=None):
        return self.task(name, host)["result"]

    def changed(self, name=None):
        if name is not None:
            return bool(self.result(name).get("changed"))
        return [r["task"] for r in self.records if r["result"].get("changed")]

    def failed(self):
        return [r for r in self.records if r["status"] == "failed"]

    def assert_ok(self):
        assert self.rc == 0, "ansible-playbook failed (rc=%s):\n%s" % (self.rc, self.output[-4000:])
        return self


def run_playbook(playbook, check=False, diff=False, verbosity=0, env=None, extra_vars=None, inventory=None,
                 args=(), timeout=600):
    """Run a playbook (a path, a YAML string, or a list of plays) and return a PlaybookRun."""
    os.makedirs(RUN_DIR, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="pb-", dir=RUN_DIR)
    if isinstance(playbook, str) and os.path.exists(playbook):
        path = playbook
    else:
        path = os.path.join(tmp, "playbook.yml")
        with open(path, "w") as fh:
            fh.write(playbook if isinstance(playbook, str) else yaml.safe_dump(playbook, sort_keys=False))
    results = os.path.join(tmp, "results.jsonl")
    cmd = [os.path.join(VENV, "bin", "ansible-playbook"), path, "-i", inventory or "localhost,",
           "-c", "local"] if not inventory else [os.path.join(VENV, "bin", "ansible-playbook"), path, "-i", inventory]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    cmd += list(args)
    run_env = ansible_env(env)
    run_env["PROKUBE_RESULTS_FILE"] = results
    run_env["TMPDIR"] = tmp
    proc = subprocess.run(cmd, env=run_env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    records = []
    if os.path.exists(results):
        with open(results) as fh:
            records = [json.loads(line) for line in fh if line.strip()]
    return PlaybookRun(proc, records, path)


def play(tasks, module_defaults=None, vars=None, hosts="localhost", name="test"):
    """One play on localhost from a list of tasks (dicts) or a YAML string of tasks."""
    if isinstance(tasks, str):
        tasks = yaml.safe_load(textwrap.dedent(tasks))
    p = {"name": name, "hosts": hosts, "gather_facts": False}
    if module_defaults:
        p["module_defaults"] = {"group/prokube.mlflow.mlflow": module_defaults}
    if vars:
        p["vars"] = vars
    p["tasks"] = tasks
    return [p]
