"""The grant engine's offline parts: parsing and validating the task's grants, and the pure diff/plan."""
import pytest

from ansible_collections.prokube.mlflow.plugins.module_utils._api import GENERATIONS
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError
from ansible_collections.prokube.mlflow.plugins.module_utils._grants import (
    DEFAULT_PRIORITY, check_levels, parse_item, parse_items, plan)


def params(**kw):
    base = dict(experiment=None, experiment_id=None, registered_model=None, prompt=None, pattern=None, resource_type=None,
                priority=None, permission=None, state="present", grants=None, exclusive=False)
    base.update(kw)
    return base


def resolved(item, key, label=None):
    return dict(item, key=key, label=label or key)


def test_single_experiment_by_name():
    item = parse_items(params(experiment="exp1", permission="EDIT"))[0]
    assert item == {"cls": "resource", "type": "experiment", "ref": "exp1", "by": "name", "permission": "EDIT",
                    "priority": None, "state": "present"}


def test_experiment_id_and_pattern():
    assert parse_item(params(experiment_id=3, permission="READ"))["by"] == "id"
    pat = parse_item(params(pattern="^a.*", resource_type="prompt", permission="READ", priority=5))
    assert (pat["cls"], pat["type"], pat["ref"], pat["priority"]) == ("pattern", "prompt", "^a.*", 5)


@pytest.mark.parametrize("kw, message", [
    (dict(permission="READ"), "exactly one of"),
    (dict(experiment="a", prompt="b", permission="READ"), "exactly one of"),
    (dict(pattern="^a", permission="READ"), "needs resource_type"),
    (dict(experiment="a", resource_type="experiment", permission="READ"), "resource_type is only used with pattern"),
    (dict(experiment="a", priority=3, permission="READ"), "priority is only used with pattern"),
    (dict(experiment="a"), "permission is required"),
])
def test_invalid_items(kw, message):
    with pytest.raises(MlflowError, match=message):
        parse_item(params(**kw))


def test_absent_needs_no_permission():
    assert parse_item(params(prompt="p", state="absent"))["permission"] is None


def test_list_form_rejects_duplicates_and_exclusive_without_list():
    with pytest.raises(MlflowError, match=r"grants\[0\] and grants\[1\] name the same experiment 'a'"):
        parse_items(params(grants=[params(experiment="a", permission="READ"), params(experiment="a", permission="EDIT")]))
    with pytest.raises(MlflowError, match="exclusive is only used with the grants list"):
        parse_items(params(experiment="a", permission="READ", exclusive=True))


def test_levels_follow_the_generation():
    items = parse_items(params(experiment="a", permission="USE"))
    check_levels(items, GENERATIONS["8"].levels, "8.0+")
    with pytest.raises(MlflowError, match="permission USE is not known to this server \\(mlflow-oidc-auth 5.x\\)"):
        check_levels(items, GENERATIONS["5"].levels, "5.x")


def exp(key, label, permission, state="present"):
    return {"cls": "resource", "type": "experiment", "key": key, "label": label, "permission": permission,
            "priority": None, "state": state, "by": "name", "ref": label}


def test_plan_add_change_keep():
    wanted = [exp("1", "a", "EDIT"), exp("2", "b", "READ"), exp("3", "c", "MANAGE")]
    current = {("resource", "experiment", "2"): {"permission": "EDIT", "label": "b"},
               ("resource", "experiment", "3"): {"permission": "MANAGE", "label": "c"}}
    result = plan(wanted, current)
    assert result["added"] == [{"type": "experiment", "experiment_id": "1", "name": "a", "permission": "EDIT"}]
    assert result["changed"] == [{"type": "experiment", "experiment_id": "2", "name": "b", "permission": "READ",
                                  "previous_permission": "EDIT"}]
    assert result["removed"] == []
    assert [(op, item["key"]) for op, item, _cur in result["ops"]] == [("create", "1"), ("update", "2")]
    assert result["before"] == {"experiments": {"b": "EDIT", "c": "MANAGE"}}
    assert result["after"] == {"experiments": {"a": "EDIT", "b": "READ", "c": "MANAGE"}}


def test_plan_noop_has_equal_views():
    wanted = [exp("1", "a", "EDIT")]
    result = plan(wanted, {("resource", "experiment", "1"): {"permission": "EDIT", "label": "a"}})
    assert result["ops"] == [] and result["before"] == result["after"]


def test_plan_absent_removes_only_what_exists():
    wanted = [exp("1", "a", None, state="absent"), exp("2", "b", None, state="absent")]
    result = plan(wanted, {("resource", "experiment", "1"): {"permission": "READ", "label": "a"}})
    assert result["removed"] == [{"type": "experiment", "experiment_id": "1", "name": "a", "permission": "READ"}]
    assert result["after"] == {} and result["before"] == {"experiments": {"a": "READ"}}
    assert [g["state"] for g in result["grants"]] == ["absent", "absent"]


def test_plan_exclusive_removes_undeclared_of_listed_types_only():
    wanted = [exp("1", "a", "EDIT")]
    current = {("resource", "experiment", "1"): {"permission": "EDIT", "label": "a"},
               ("resource", "experiment", "9"): {"permission": "READ", "label": "stray"},
               ("resource", "prompt", "p"): {"permission": "READ", "label": "p"}}
    result = plan(wanted, current, scopes={("resource", "experiment")})
    assert result["removed"] == [{"type": "experiment", "experiment_id": "9", "name": "stray", "permission": "READ"}]
    assert result["before"]["experiments"] == {"a": "EDIT", "stray": "READ"}
    assert "prompts" not in result["before"]  # a type the list does not use is left alone
    assert result["ops"][0][0] == "delete"


def pattern(regex, permission, priority=None, state="present"):
    return {"cls": "pattern", "type": "experiment", "key": regex, "label": regex, "permission": permission,
            "priority": priority, "state": state, "by": "regex", "ref": regex}


def test_plan_pattern_priority_default_and_keep():
    new = plan([pattern("^a", "READ")], {})
    assert new["added"] == [{"type": "experiment", "pattern": "^a", "priority": DEFAULT_PRIORITY, "permission": "READ"}]
    cur = {("pattern", "experiment", "^a"): {"id": "7", "permission": "READ", "priority": 5, "label": "^a"}}
    assert plan([pattern("^a", "READ")], cur)["ops"] == []  # omitted priority keeps the current one
    changed = plan([pattern("^a", "READ", priority=1)], cur)
    assert changed["changed"] == [{"type": "experiment", "pattern": "^a", "priority": 1, "permission": "READ",
                                   "previous_permission": "READ", "previous_priority": 5}]
    op, item, current = changed["ops"][0]
    assert (op, item["priority"], current["id"]) == ("update", 1, "7")
    assert changed["after"] == {"experiment_patterns": {"^a": {"permission": "READ", "priority": 1}}}
