# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grant engine shared by mlflow_group_permission and mlflow_user_permission.

One engine, the subject kind (``group`` or ``user``) is a parameter. A run is:

1. :func:`parse_items` - the task's grants (one, or the ``grants`` list) checked offline: one resource or one
   pattern per item, a permission when present, no duplicates;
2. the API generation is probed and every level checked against ``generation.levels``;
3. the subject is checked (unknown user / unknown group fail with one line, nothing written);
4. each subject listing is read ONCE per resource type (and pattern listings once per type), which also
   resolves experiment names and proves most resources exist; only what the listings cannot answer costs
   extra requests (a resource to be granted that the listing does not show, a user's grant hidden behind a
   higher-ranked source);
5. :func:`plan` - pure - compares wanted and current: ``added``, ``changed``, ``removed`` (``exclusive``);
6. ``module.converge`` writes (POST / PATCH / DELETE) outside check mode only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.prokube.mlflow.plugins.module_utils._api import LEVELS
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError

TYPES = ("experiment", "registered_model", "prompt")
RESOURCE_OPTIONS = ("experiment", "experiment_id", "registered_model", "prompt")
SELECTORS = RESOURCE_OPTIONS + ("pattern",)
DEFAULT_PRIORITY = 100
SECTIONS = {
    ("resource", "experiment"): "experiments",
    ("resource", "registered_model"): "registered_models",
    ("resource", "prompt"): "prompts",
    ("pattern", "experiment"): "experiment_patterns",
    ("pattern", "registered_model"): "registered_model_patterns",
    ("pattern", "prompt"): "prompt_patterns",
}
# Kinds in a user's listing that prove the user has NO direct grant (no user/group/pattern source matched).
NO_GRANT_KINDS = frozenset(("fallback", "workspace", "workspace-deny", "kind-unknown"))


def item_options():
    """Argument spec of one grant (the single form's top-level options and each ``grants`` item)."""
    return dict(
        experiment=dict(type="str"),
        experiment_id=dict(type="str"),
        registered_model=dict(type="str"),
        prompt=dict(type="str"),
        pattern=dict(type="str"),
        resource_type=dict(type="str", choices=list(TYPES)),
        priority=dict(type="int"),
        permission=dict(type="str", choices=list(LEVELS)),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )


def argument_spec(subject_option):
    spec = {subject_option: dict(type="str", required=True)}
    spec.update(item_options())
    spec["grants"] = dict(type="list", elements="dict", options=item_options())
    spec["exclusive"] = dict(type="bool", default=False)
    return spec


def module_kwargs():
    return dict(
        mutually_exclusive=[SELECTORS + ("grants",)],
        required_one_of=[SELECTORS + ("grants",)],
    )


# ---------------------------------------------------------------------------- parsing (offline)
def parse_item(raw, where="the task"):
    """One grant as the engine uses it: ``{cls, type, ref, by, permission, priority, state}``."""
    chosen = [k for k in SELECTORS if raw.get(k) not in (None, "")]
    if len(chosen) != 1:
        raise MlflowError("%s must name exactly one of %s (got %s)" % (where, ", ".join(SELECTORS), ", ".join(chosen) or "none"))
    sel = chosen[0]
    item = {"state": raw.get("state") or "present", "permission": raw.get("permission"), "priority": raw.get("priority")}
    if sel == "pattern":
        if not raw.get("resource_type"):
            raise MlflowError("%s: pattern %r needs resource_type (experiment, registered_model or prompt)" % (where, raw["pattern"]))
        item.update(cls="pattern", type=raw["resource_type"], ref=raw["pattern"], by="regex")
    else:
        if raw.get("resource_type"):
            raise MlflowError("%s: resource_type is only used with pattern" % where)
        if raw.get("priority") is not None:
            raise MlflowError("%s: priority is only used with pattern" % where)
        typ = "experiment" if sel in ("experiment", "experiment_id") else sel
        item.update(cls="resource", type=typ, ref=str(raw[sel]), by="id" if sel == "experiment_id" else "name")
    if item["state"] == "present" and not item["permission"]:
        raise MlflowError("%s: permission is required with state=present (one of %s)" % (where, ", ".join(LEVELS)))
    return item


def parse_items(params):
    """The task's grants: the ``grants`` list, or the one grant of the top-level options."""
    if params.get("grants") is not None:
        items = [parse_item(raw, "grants[%d]" % i) for i, raw in enumerate(params["grants"])]
    else:
        items = [parse_item(params)]
    if params.get("exclusive") and params.get("grants") is None:
        raise MlflowError("exclusive is only used with the grants list")
    seen = {}
    for i, item in enumerate(items):
        ident = (item["cls"], item["type"], item["by"], item["ref"])
        if ident in seen:
            raise MlflowError("grants[%d] and grants[%d] name the same %s %r" % (seen[ident], i, describe_type(item), item["ref"]))
        seen[ident] = i
    return items


def describe_type(item):
    return ("%s pattern" % item["type"].replace("_", " ")) if item["cls"] == "pattern" else item["type"].replace("_", " ")


def check_levels(items, levels, label):
    for item in items:
        if item["permission"] and item["permission"] not in levels:
            raise MlflowError("permission %s is not known to this server (mlflow-oidc-auth %s): use one of %s"
                              % (item["permission"], label, ", ".join(levels)))


# ---------------------------------------------------------------------------- planning (pure)
def _entry(item, permission=None, **extra):
    e = {"type": item["type"]}
    if item["cls"] == "pattern":
        e["pattern"] = item["key"]
        e["priority"] = extra.pop("priority", None)
    elif item["type"] == "experiment":
        e["experiment_id"] = item["key"]
        e["name"] = item.get("label") or item["key"]
    else:
        e["name"] = item["key"]
    e["permission"] = permission
    e.update(extra)
    return e


def _view(cur, cls):
    if cur is None:
        return None
    if cls == "pattern":
        return {"permission": cur["permission"], "priority": cur["priority"]}
    return cur["permission"]


def plan(wanted, current, scopes=()):
    """Compare the wanted grants with the server's.

    ``wanted``: resolved items ``{cls, type, key, label, state, permission, priority}``.
    ``current``: ``{(cls, type, key): {"permission", "label", "priority"?, "id"?}}`` - the subject's grants of
    every type this task reads. ``scopes``: the ``(cls, type)`` pairs under ``exclusive``: their current
    grants that ``wanted`` does not name are removed.

    Returns ``{"added", "changed", "removed", "ops", "before", "after", "grants"}``; ``ops`` are the writes
    in order (``create``/``update``/``delete`` with the item and the current pattern id).
    """
    added, changed, removed, ops, grants = [], [], [], [], []
    before, after = {}, {}
    named = set()

    def record(item, cur_view, new_view):
        section = SECTIONS[(item["cls"], item["type"])]
        label = item.get("label") or item["key"]
        if cur_view is not None:
            before.setdefault(section, {})[label] = cur_view
        if new_view is not None:
            after.setdefault(section, {})[label] = new_view

    for item in wanted:
        ident = (item["cls"], item["type"], item["key"])
        named.add(ident)
        cur = current.get(ident)
        cur_view = _view(cur, item["cls"])
        if item["state"] == "absent":
            record(item, cur_view, None)
            if cur is not None:
                removed.append(_entry(item, cur["permission"], **({"priority": cur["priority"]} if item["cls"] == "pattern" else {})))
                ops.append(("delete", item, cur))
            grants.append(dict(_entry(item, None), state="absent"))
            continue
        priority = None
        if item["cls"] == "pattern":
            priority = item["priority"] if item["priority"] is not None else (cur["priority"] if cur else DEFAULT_PRIORITY)
            new_view = {"permission": item["permission"], "priority": priority}
        else:
            new_view = item["permission"]
        record(item, cur_view, new_view)
        extra = {"priority": priority} if item["cls"] == "pattern" else {}
        if cur is None:
            added.append(_entry(item, item["permission"], **dict(extra)))
            ops.append(("create", dict(item, priority=priority), None))
        elif cur_view != new_view:
            prev = {"previous_permission": cur["permission"]}
            if item["cls"] == "pattern":
                prev["previous_priority"] = cur["priority"]
            changed.append(_entry(item, item["permission"], **dict(extra, **prev)))
            ops.append(("update", dict(item, priority=priority), cur))
        grants.append(dict(_entry(item, item["permission"], **dict(extra)), state="present"))

    scopes = set(scopes)
    for ident in sorted(current, key=lambda i: (i[0], i[1], str(current[i].get("label") or i[2]))):
        if ident in named or (ident[0], ident[1]) not in scopes:
            continue
        cur = current[ident]
        item = {"cls": ident[0], "type": ident[1], "key": ident[2], "label": cur.get("label") or ident[2]}
        record(item, _view(cur, ident[0]), None)
        removed.append(_entry(item, cur["permission"], **({"priority": cur["priority"]} if ident[0] == "pattern" else {})))
        ops.append(("delete", item, cur))
    return {"added": added, "changed": changed, "removed": removed, "ops": ops, "before": before, "after": after,
            "grants": grants}


# ---------------------------------------------------------------------------- the engine (reads, then one converge)
class GrantEngine(object):
    """Converge one subject's grants. ``subject_kind`` is ``group`` or ``user``."""

    def __init__(self, module, subject_kind, subject_option):
        self.module = module
        self.api = module.api
        self.kind = subject_kind
        self.option = subject_option
        self.subject = module.params[subject_option]
        self._listings = {}
        self._catalog = {}
        self._group_prompts = set()

    # -- reading ---------------------------------------------------------------------------------
    def check_subject(self):
        if self.kind == "user":
            user = self.api.get_user(self.subject)
            if user is None:
                raise MlflowError("user %r does not exist on this server: create it first (prokube.mlflow.mlflow_user; a person "
                                  "appears at first sign-in, a service account is created by mlflow_user), nothing was granted"
                                  % self.subject)
            self.subject = user["username"]
            return user
        if not self.api.group_exists(self.subject):
            raise MlflowError("%s; nothing was granted" % self.api.missing_group_message(self.subject))
        return {"group": self.subject}

    def listing(self, typ):
        """The subject's listing of one resource type, read once per run."""
        if typ not in self._listings:
            self._listings[typ] = self.api.list_subject_grants(self.kind, self.subject, typ)
        return self._listings[typ]

    def read_current(self, items, scopes):
        """Current direct grants (and a catalog of resources the listings prove) for every type needed."""
        current = {}
        needed = set((i["cls"], i["type"]) for i in items) | set(scopes)
        for cls, typ in sorted(needed):
            if cls == "pattern":
                for p in self.api.list_patterns(self.kind, self.subject, typ):
                    current[("pattern", typ, p["regex"])] = dict(p, label=p["regex"])
                continue
            rows = self.listing(typ)
            prompt_names = set()
            if self.kind == "group" and typ == "registered_model":
                # A group's model listing also shows its prompt grants (one name space, one table).
                prompt_names = self._group_prompts = set(r["name"] for r in self.listing("prompt"))
            for row in rows:
                key = row["id"] if typ == "experiment" else row["name"]
                self._catalog[(typ, key)] = row
                if typ == "experiment":
                    self._catalog[("experiment-name", row["name"])] = row
                direct = row.get("kind") == "user" if self.kind == "user" else row["name"] not in prompt_names
                if direct:
                    current[("resource", typ, key)] = {"permission": row["permission"], "label": row["name"]}
        return current

    def resolve(self, items, current):
        """Give every resource item its key (experiment id or name) and prove the resources to be granted exist."""
        missing = []
        unresolved = [i for i in items if i["cls"] == "resource" and i["type"] == "experiment" and i["by"] == "name"
                      and ("experiment-name", i["ref"]) not in self._catalog]
        # Names the listings did not resolve: a group's listing shows only its granted experiments. Only
        # the ones to be granted matter (a name absent from a group's listing holds no grant of it).
        lookup = [i["ref"] for i in unresolved if i["state"] == "present" or self.kind == "user"]
        by_name = {}
        if len(lookup) > 1:
            for exp in self.api.search_experiments(view_type="ALL"):
                by_name[exp["name"]] = exp
        else:
            for name in lookup:
                exp = self.api.get_experiment_by_name(name)
                if exp:
                    by_name[name] = exp
        for item in items:
            item["label"] = item["ref"]
            if item["cls"] == "pattern":
                item["key"] = item["ref"]
                continue
            typ = item["type"]
            if typ == "experiment" and item["by"] == "name":
                row = self._catalog.get(("experiment-name", item["ref"]))
                if row is not None:
                    item["key"] = row["id"]
                    continue
                exp = by_name.get(item["ref"])
                if exp is None:
                    item["key"] = None
                    if item["state"] == "present":
                        missing.append("experiment %r" % item["ref"])
                    continue
                item["key"] = exp["experiment_id"]
                self._warn_deleted(exp)
                continue
            item["key"] = item["ref"]
            row = self._catalog.get((typ, item["ref"]))
            if typ == "registered_model" and item["ref"] in self._group_prompts:
                missing.append("registered model %r (it is a prompt)" % item["ref"])
                continue
            if row is not None:
                if typ == "experiment":
                    item["label"] = row["name"]
                continue
            if item["state"] != "present" and (self.kind == "group" or typ != "experiment"):
                continue  # nothing to revoke: the listing would show it
            if typ == "experiment":
                exp = self.api.get_experiment(item["ref"])
                if exp is None:
                    if item["state"] == "present":
                        missing.append("experiment id %s" % item["ref"])
                    continue
                item["label"] = exp["name"]
                self._warn_deleted(exp)
            elif ("resource", typ, item["ref"]) not in current:
                model = self.api.get_registered_model(item["ref"])
                if model is None:
                    missing.append("%s %r" % (typ.replace("_", " "), item["ref"]))
                elif model["is_prompt"] != (typ == "prompt"):
                    missing.append("%s %r (it is a %s)" % (typ.replace("_", " "), item["ref"],
                                                           "prompt" if model["is_prompt"] else "registered model, not a prompt"))
        if missing:
            raise MlflowError("cannot grant on what does not exist: %s; nothing was changed" % "; ".join(missing))
        seen = {}
        for i, item in enumerate(items):
            if item.get("key") is None:
                continue
            ident = (item["cls"], item["type"], item["key"])
            if ident in seen:
                raise MlflowError("grants[%d] and grants[%d] name the same %s (%s)" % (seen[ident], i, describe_type(item), item["key"]))
            seen[ident] = i
        return [i for i in items if i.get("key") is not None]

    def _warn_deleted(self, exp):
        if exp.get("lifecycle_stage") == "deleted":
            self.module.warn("experiment %r (id %s) is soft-deleted: the grant applies once it is restored"
                             % (exp["name"], exp["experiment_id"]))

    def confirm_user_grants(self, items, current):
        """A user's listing shows the EFFECTIVE level and its source; a direct grant can hide behind a group or
        pattern grant ranked higher by PERMISSION_SOURCE_ORDER. Ask for those few directly."""
        if self.kind != "user":
            return
        for item in items:
            ident = (item["cls"], item["type"], item["key"])
            if item["cls"] != "resource" or ident in current:
                continue
            row = self._catalog.get((item["type"], item["key"]))
            if row is not None and row.get("kind") in NO_GRANT_KINDS:
                continue
            level = self.api.get_user_grant(self.subject, item["type"], item["key"])
            if level is not None:
                current[ident] = {"permission": level, "label": item["label"]}

    # -- writing ---------------------------------------------------------------------------------
    def apply(self, ops):
        api, kind, subject = self.api, self.kind, self.subject
        for op, item, cur in ops:
            if item["cls"] == "pattern":
                if op == "create":
                    api.create_pattern(kind, subject, item["type"], item["key"], item["priority"], item["permission"])
                elif op == "update":
                    api.update_pattern(kind, subject, item["type"], cur["id"], item["key"], item["priority"], item["permission"])
                else:
                    api.delete_pattern(kind, subject, item["type"], cur["id"])
                continue
            if op == "create":
                if not api.create_grant(kind, subject, item["type"], item["key"], item["permission"]):
                    api.update_grant(kind, subject, item["type"], item["key"], item["permission"])  # appeared meanwhile
            elif op == "update":
                api.update_grant(kind, subject, item["type"], item["key"], item["permission"])
            else:
                api.delete_grant(kind, subject, item["type"], item["key"])

    # -- the run ---------------------------------------------------------------------------------
    def run(self):
        module = self.module
        p = module.params
        items = parse_items(p)
        gen = self.api.generation  # one probe; also proves the credentials
        check_levels(items, gen.levels, gen.label)
        subject_info = self.check_subject()
        scopes = set((i["cls"], i["type"]) for i in items) if p.get("exclusive") else set()
        current = self.read_current(items, scopes)
        items = self.resolve(items, current)
        self.confirm_user_grants(items, current)
        result = plan(items, current, scopes)
        module.converge(result["before"], result["after"], lambda: self.apply(result["ops"]))
        # "changed" is Ansible's own boolean: the three lists travel together as "drift".
        out = {self.option: self.subject, "grants": result["grants"],
               "drift": {"added": result["added"], "changed": result["changed"], "removed": result["removed"]}}
        if self.kind == "user":
            out["is_service_account"] = bool(subject_info.get("is_service_account"))
        if p.get("grants") is None:
            out["grant"] = result["grants"][0] if result["grants"] else {}
        module.exit(**out)
