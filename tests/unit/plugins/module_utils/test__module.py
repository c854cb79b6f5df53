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


def test_desired_tags_keeps_purges_and_spares_system_tags():
    from ansible_collections.prokube.mlflow.plugins.module_utils._module import desired_tags
    current = {"a": "1", "b": "2", "mlflow.note": "x"}
    assert desired_tags(current, None, True) == current
    assert desired_tags(current, {"a": 3}, False) == {"a": "3", "b": "2", "mlflow.note": "x"}
    assert desired_tags(current, {"a": None}, True) == {"a": "", "mlflow.note": "x"}


def test_sync_tags_sets_differences_and_deletes_dropped():
    from ansible_collections.prokube.mlflow.plugins.module_utils._module import sync_tags
    calls = []
    sync_tags({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "new", "d": "4"},
              lambda k, v: calls.append(("set", k, v)), lambda k: calls.append(("delete", k)))
    assert calls == [("set", "b", "new"), ("set", "d", "4"), ("delete", "c")]
