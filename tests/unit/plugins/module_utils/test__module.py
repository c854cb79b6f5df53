import os
import re

import yaml

from ansible_collections.prokube.mlflow.plugins.module_utils._module import MASK, mask_secrets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def test_mask_secrets_deep():
    data = {"token": "mlf_x", "name": "t", "nested": [{"password": "p", "ok": 1}], "empty": {"token": None}}
    assert mask_secrets(data) == {"token": MASK, "name": "t", "nested": [{"password": MASK, "ok": 1}],
                                  "empty": {"token": None}}


def test_every_module_is_in_the_action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as fh:
        group = set(yaml.safe_load(fh)["action_groups"]["mlflow"])
    modules = {f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules"))
               if f.endswith(".py") and f != "__init__.py"}
    assert modules, "no modules found"
    assert modules - group == set(), "modules missing from the action group in meta/runtime.yml"
    assert group - modules == set(), "action group names modules that do not exist"


def test_every_module_documents_the_action_group_and_connection():
    for f in os.listdir(os.path.join(ROOT, "plugins", "modules")):
        if not f.endswith(".py") or f == "__init__.py":
            continue
        with open(os.path.join(ROOT, "plugins", "modules", f)) as fh:
            text = fh.read()
        assert "prokube.mlflow.connection\n" in text, f
        assert re.search(r"prokube\.mlflow\.connection\.(info_)?attributes", text), f
