#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_gc
short_description: Permanently purge soft-deleted MLflow experiments and runs, and the grants left on them
version_added: 0.1.0
description:
  - >-
    B(PERMANENT DELETION.) This module purges experiments and runs that are soft-deleted (in MLflow's trash).
    Their metadata, metrics, parameters, tags and B(artifact files) are deleted for good. Nothing purged can be
    restored. Run it with C(--check --diff) first; check mode lists exactly what would be purged and purges nothing.
  - Purging frees the names of the purged experiments for reuse, and the storage of their artifacts. It is the
    admin guide's garbage collection (C(mlflow gc)), done through the mlflow-oidc-auth plugin's admin trash API
    (C(/oidc/trash), mlflow-oidc-auth 6.0 and later). The caller must be an MLflow administrator.
  - Servers without the trash API (mlflow-oidc-auth 5.x) make the module fail with a pointer to the other way, the
    guide's C(mlflow gc) run inside the tracking-server pod, see the task file C(playbooks/tasks/mlflow_gc_exec.yml)
    of this collection (it uses C(kubernetes.core.k8s_exec)). O(stale_grants_only) works on 5.x too.
  - What is purged is chosen by O(experiment_ids), O(experiments) and O(run_ids), and narrowed by O(older_than).
    Without any of the first three the module refuses to run, before sending any request, unless O(purge_all=true)
    says explicitly that the whole trash is meant.
  - B(No grant outlives its experiment.) The trash API and C(mlflow gc) purge an experiment but leave every user and
    group grant on its id; a database that reuses ids (SQLite) then hands those grants to the next experiment
    created. With O(remove_stale_grants=true) (the default) the module reads the grants of each experiment it
    purges, removes them B(just before) purging it, and reports them. Removing them first means there is no moment
    when a purged id still carries grants. If the server then keeps the experiment (it answers with
    C(failed_experiments), or the request fails), the grants of every experiment that still exists are put back and
    the module fails.
  - A real run reports what was purged; C(changed) is true only when something was purged or a grant removed.
    Anything the server refused to purge (C(failed_experiments), C(failed_runs) in its answer, although it answers
    HTTP 200) makes the task fail, listing it.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
options:
  experiment_ids:
    description:
      - Ids of soft-deleted experiments to purge, with all their deleted runs.
      - An id that is not in the trash is left alone and listed in RV(not_in_trash). When no experiment has that id
        any more (it was purged earlier), grants still left on it are removed when O(remove_stale_grants=true).
    type: list
    elements: str
  experiments:
    description:
      - Names of soft-deleted experiments to purge, with all their deleted runs.
      - A name that is not in the trash (an active experiment, or already purged) is left alone and listed in
        RV(not_in_trash).
    type: list
    elements: str
  run_ids:
    description:
      - Ids of soft-deleted runs to purge, with their artifacts. Their experiments are not purged.
      - A run that is not in the trash is left alone and listed in RV(not_in_trash).
    type: list
    elements: str
  purge_all:
    description:
      - Purge the whole trash (every soft-deleted experiment and run), narrowed only by O(older_than). This is what
        the guide's C(mlflow gc) without options does.
      - Must be set explicitly; it cannot be combined with O(experiment_ids), O(experiments) or O(run_ids).
    type: bool
    default: false
  older_than:
    description:
      - Purge only what was deleted more than this long ago; the rest is kept and listed in RV(too_recent).
      - MLflow's duration format, as the server and C(mlflow gc --older-than) accept it, C(#d#h#m#s) with each part
        optional but in this order, numbers may be decimals, for example V(30d), V(1d12h), V(1h30m), V(1.5d),
        V(90s). It is checked before any request is sent.
      - An experiment's age is counted from its last update (its deletion), compared with the clock of the host
        running the module; a run's age from its deletion time, by the server's clock. An experiment that still
        holds a run deleted too recently is kept whole.
    type: str
  remove_stale_grants:
    description:
      - Remove the user and group grants on each experiment that is purged (see the description), and report them
        in RV(grants_removed).
      - With V(false) those grants stay and a new experiment that gets the same id inherits them.
    type: bool
    default: true
  stale_grants_only:
    description:
      - Purge nothing, and do not use the trash API; only remove the grants left on the ids in O(experiment_ids)
        for which no experiment exists any more. This repairs what the guide's C(mlflow gc) leaves behind, and
        works on servers without the trash API (see C(playbooks/tasks/mlflow_gc_exec.yml)).
      - Requires O(experiment_ids); cannot be combined with the other selections or O(older_than).
    type: bool
    default: false
notes:
  - B(Purging is permanent and cannot be undone.) The artifacts of purged runs are deleted from the artifact store.
    Use check mode (C(--check --diff)) to see what would be purged.
  - The trash API needs an MLflow administrator; any other caller gets a one-line 403 message.
  - Registered models and prompts have no trash in MLflow (deleting them is immediate, and removes their grants),
    so there is nothing of theirs to purge here.
  - Large purges are sent in batches (25 experiments or 50 runs per request).
seealso:
  - module: prokube.mlflow.mlflow_experiment
  - name: MLflow gc command
    description: The command line garbage collection that the trash API mirrors.
    link: https://mlflow.org/docs/latest/cli.html#mlflow-gc
"""

EXAMPLES = r"""
- name: What would be purged? (purges nothing)
  prokube.mlflow.mlflow_gc:
    experiments: [ds-team-alpha-old]
  check_mode: true
  diff: true
  register: gc_plan

- name: Purge two deleted experiments and their runs, and the grants on them
  prokube.mlflow.mlflow_gc:
    tracking_uri: https://platform.example.com/mlflow
    username: admin@example.com
    password: "{{ mlflow_admin_pat }}"
    experiments: [ds-team-alpha-old, secret-project]

- name: Empty the whole trash of what was deleted more than 30 days ago (the guide's mlflow gc, narrowed)
  prokube.mlflow.mlflow_gc:
    purge_all: true
    older_than: 30d

- name: After the guide's mlflow gc in the pod, remove the grants left on the purged experiment ids
  prokube.mlflow.mlflow_gc:
    stale_grants_only: true
    experiment_ids: "{{ purged_ids }}"
"""

RETURN = r"""
experiments:
  description: The experiments purged (in check mode, that would be purged).
  returned: always
  type: list
  elements: dict
  contains:
    experiment_id:
      description: Its id (now free for reuse on SQLite).
      type: str
    name:
      description: Its name (now free for reuse).
      type: str
  sample: [{experiment_id: "7", name: secret-project}]
runs:
  description: The runs purged (in check mode, that would be purged), those of purged experiments included.
  returned: always
  type: list
  elements: dict
  contains:
    run_id:
      description: The run's id.
      type: str
    experiment_id:
      description: The experiment it belonged to.
      type: str
    run_name:
      description: The run's name.
      type: str
grants_removed:
  description: The grants removed (in check mode, that would be removed) from purged or vanished experiment ids.
  returned: always
  type: list
  elements: dict
  contains:
    experiment_id:
      description: The experiment id the grant pointed at.
      type: str
    kind:
      description: V(user) or V(group).
      type: str
    name:
      description: The user or group.
      type: str
    permission:
      description: The level it granted.
      type: str
  sample: [{experiment_id: "7", kind: user, name: svc-reader@example.com, permission: READ}]
grants_restored:
  description: Grants put back because the server kept their experiment after all.
  returned: on failure, when any
  type: list
  elements: dict
not_in_trash:
  description: Named experiments and runs that were not in the trash (active, or already purged) and were left alone.
  returned: always
  type: dict
  contains:
    experiment_ids:
      description: Ids from O(experiment_ids).
      type: list
      elements: str
    experiments:
      description: Names from O(experiments).
      type: list
      elements: str
    run_ids:
      description: Ids from O(run_ids).
      type: list
      elements: str
too_recent:
  description: What O(older_than) kept.
  returned: always
  type: dict
  contains:
    experiments:
      description: Experiments kept, with id and name.
      type: list
      elements: dict
    run_ids:
      description: Runs kept.
      type: list
      elements: str
failed_experiments:
  description: Experiments the server kept although asked to purge them, with its reason.
  returned: on failure
  type: list
  elements: dict
failed_runs:
  description: Runs the server kept although asked to purge them, with its reason.
  returned: on failure
  type: list
  elements: dict
api_generation:
  description: The mlflow-oidc-auth API generation detected on the server.
  returned: when the server was reached
  type: str
  sample: 8.0+
http_requests:
  description: How many HTTP requests this task sent to MLflow.
  returned: always
  type: int
"""

import re
import time
from datetime import timedelta

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule

# MLflow's own duration format (mlflow gc --older-than, the plugin's _parse_time_delta), but strict: each number is
# a real decimal, and at least one part must be there (the server takes "" and "1.2.3d" and then fails or ignores).
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
DURATION = re.compile(r"^(?:(?P<days>%s)d)?(?:(?P<hours>%s)h)?(?:(?P<minutes>%s)m)?(?:(?P<seconds>%s)s)?$" % ((_NUM,) * 4))
EXPERIMENT_BATCH = 25
RUN_BATCH = 50
EXEC_POINTER = ("run the guide's `mlflow gc` in the tracking-server pod instead: see playbooks/tasks/mlflow_gc_exec.yml "
                "in the prokube.mlflow collection (kubernetes.core.k8s_exec), then mlflow_gc with stale_grants_only")


def parse_duration(text):
    """Milliseconds of an MLflow duration (``30d``, ``1h30m``, ``1.5d``), as the server computes them."""
    match = DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match or not any(match.groupdict().values()):
        raise MlflowError("older_than %r is not an MLflow duration: use #d#h#m#s with the parts in this order, for "
                          "example 30d, 1d12h, 1h30m, 1.5d or 90s" % (text,))
    parts = dict((k, float(v)) for k, v in match.groupdict().items() if v)
    return int(timedelta(**parts).total_seconds() * 1000)


def id_key(value):
    text = str(value)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def validate(p):
    """Every check that needs no request. Returns the normalised selection."""
    for key in ("experiment_ids", "experiments", "run_ids"):
        values = p[key] or []
        bad = [v for v in values if not str(v).strip() or "," in str(v)]
        if bad:
            raise MlflowError("%s must not contain empty values or commas, got %r" % (key, bad))
    ids = list(dict.fromkeys(str(v).strip() for v in p["experiment_ids"] or []))
    names = list(dict.fromkeys(p["experiments"] or []))
    run_ids = list(dict.fromkeys(str(v).strip() for v in p["run_ids"] or []))
    delta = parse_duration(p["older_than"]) if p["older_than"] is not None else None
    selected = bool(ids or names or run_ids)
    if p["stale_grants_only"]:
        if not ids or names or run_ids or p["purge_all"] or p["older_than"] is not None:
            raise MlflowError("stale_grants_only needs experiment_ids, and only them (no experiments, run_ids, purge_all "
                              "or older_than): it removes the grants left on those ids and purges nothing")
        if not p["remove_stale_grants"]:
            raise MlflowError("stale_grants_only with remove_stale_grants=false would do nothing")
    elif p["purge_all"] and selected:
        raise MlflowError("purge_all=true purges the whole trash: do not combine it with experiment_ids, experiments or "
                          "run_ids (give those alone to purge only them)")
    elif not selected and not p["purge_all"]:
        raise MlflowError("refusing to purge without a selection: give experiment_ids, experiments or run_ids, or set "
                          "purge_all=true to purge the whole trash (permanently; older_than narrows it)")
    return ids, names, run_ids, delta


def read_trash(api):
    try:
        return api.trash_experiments()
    except MlflowApiError as exc:
        if exc.missing_route:
            raise MlflowError("this server has no trash API (GET /oidc/trash/experiments: HTTP %s, no such route; "
                              "mlflow-oidc-auth before 6.0?): %s" % (exc.status, EXEC_POINTER))
        if exc.status == 403:
            raise MlflowError("mlflow_gc needs an MLflow administrator: the server answered 403 to GET "
                              "/oidc/trash/experiments (%s). Connect as a user with is_admin (or its access token)"
                              % (exc.detail or "forbidden"))
        raise


def plan(module, api, ids, names, run_ids, delta):
    """What a real run would purge and remove, read with GETs only."""
    p = module.params
    not_in_trash = dict(experiment_ids=[], experiments=[], run_ids=[])
    too_recent = dict(experiments=[], run_ids=[])
    result = dict(experiments=[], runs=[], grants=[], not_in_trash=not_in_trash, too_recent=too_recent, loose_run_ids=[])
    absent_ids = []

    if p["stale_grants_only"]:
        absent_ids = [i for i in ids if api.get_experiment(i) is None]
        not_in_trash["experiment_ids"] = [i for i in ids if i not in absent_ids]
    else:
        trash = read_trash(api)
        by_id = dict((e["experiment_id"], e) for e in trash)
        by_name = dict((e["name"], e) for e in trash)
        if p["purge_all"]:
            candidates = sorted(trash, key=lambda e: id_key(e["experiment_id"]))
        else:
            found = {}
            for i in ids:
                if i in by_id:
                    found[i] = by_id[i]
                else:
                    not_in_trash["experiment_ids"].append(i)
            for n in names:
                if n in by_name:
                    found[by_name[n]["experiment_id"]] = by_name[n]
                else:
                    not_in_trash["experiments"].append(n)
            candidates = sorted(found.values(), key=lambda e: id_key(e["experiment_id"]))
            if p["remove_stale_grants"]:
                # A named id that no experiment has any more: repair the grants a former purge left on it.
                absent_ids = [i for i in not_in_trash["experiment_ids"] if api.get_experiment(i) is None]

        # Deleted runs: all of them when runs may be anywhere, else those of the candidate experiments.
        scope = None if p["purge_all"] or run_ids else [e["experiment_id"] for e in candidates]
        runs = api.trash_runs(experiment_ids=scope) if scope is None or scope else []
        old = set(r["run_id"] for r in runs)
        if delta is not None and runs:
            old = set(r["run_id"] for r in api.trash_runs(experiment_ids=scope, older_than=p["older_than"]))
        runs_of = {}
        for r in runs:
            runs_of.setdefault(r["experiment_id"], []).append(r)

        threshold = time.time() * 1000 - delta if delta is not None else None
        purged_ids = set()
        for e in candidates:
            young = threshold is not None and (e["last_update_time"] is None or e["last_update_time"] >= threshold)
            young = young or any(r["run_id"] not in old for r in runs_of.get(e["experiment_id"], []))
            if young:
                too_recent["experiments"].append(dict(experiment_id=e["experiment_id"], name=e["name"]))
                continue
            purged_ids.add(e["experiment_id"])
            result["experiments"].append(dict(experiment_id=e["experiment_id"], name=e["name"]))
            result["runs"].extend(runs_of.get(e["experiment_id"], []))

        by_run = dict((r["run_id"], r) for r in runs)
        loose = [r for r in runs if r["experiment_id"] not in purged_ids] if p["purge_all"] else []
        for rid in run_ids:
            if rid not in by_run:
                not_in_trash["run_ids"].append(rid)
            elif by_run[rid]["experiment_id"] not in purged_ids:
                loose.append(by_run[rid])
        for r in loose:
            if r["run_id"] in old:
                result["runs"].append(r)
            elif r["run_id"] not in too_recent["run_ids"]:
                too_recent["run_ids"].append(r["run_id"])
        result["loose_run_ids"] = [r["run_id"] for r in loose if r["run_id"] in old]

    if p["remove_stale_grants"]:
        for exp_id in [e["experiment_id"] for e in result["experiments"]] + absent_ids:
            result["grants"].extend(api.gc_experiment_grants(exp_id))
    result["orphan_ids"] = absent_ids
    result["runs"] = sorted(result["runs"], key=lambda r: (id_key(r["experiment_id"]), r["run_id"]))
    return result


def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


def purge(module, api, todo):
    """The real run: remove grants, purge in batches, put grants back where the server kept the experiment."""
    older_than = module.params["older_than"]
    names = dict((e["experiment_id"], e["name"]) for e in todo["experiments"])
    run_info = dict((r["run_id"], r) for r in todo["runs"])
    out = dict(experiments=[], runs=[], grants_removed=[], grants_restored=[], failed_experiments=[], failed_runs=[],
               errors=[])

    def remove(grants):
        removed = []
        for g in grants:
            if api.delete_grant(g["kind"], g["name"], "experiment", g["experiment_id"]):
                removed.append(g)
        return removed

    def record_runs(ids):
        for rid in ids:
            out["runs"].append(run_info.get(rid) or dict(run_id=rid, experiment_id=None, run_name=None))

    try:
        out["grants_removed"].extend(remove([g for g in todo["grants"] if g["experiment_id"] in todo["orphan_ids"]]))
    except MlflowError as exc:
        out["errors"].append(str(exc))
        return out

    for batch in chunks([e["experiment_id"] for e in todo["experiments"]], EXPERIMENT_BATCH):
        removed, res = [], None
        try:
            removed = remove([g for g in todo["grants"] if g["experiment_id"] in batch])
            res = api.trash_cleanup(experiment_ids=batch, older_than=older_than)
        except MlflowError as exc:
            res = dict(deleted_experiments=[], deleted_runs=[], failed_experiments=[], failed_runs=[], error=str(exc))
        if res["error"]:
            out["errors"].append("purging experiments %s: %s" % (", ".join(batch), res["error"]))
        purged = set(res["deleted_experiments"])
        for exp_id in batch:
            # An experiment the answer does not confirm: trust only a fresh read of the server.
            if exp_id not in purged and api.get_experiment(exp_id) is None:
                purged.add(exp_id)
        out["experiments"].extend(dict(experiment_id=i, name=names.get(i)) for i in batch if i in purged)
        record_runs(res["deleted_runs"])
        out["failed_experiments"].extend(res["failed_experiments"])
        out["failed_runs"].extend(res["failed_runs"])
        for g in removed:
            if g["experiment_id"] in purged:
                out["grants_removed"].append(g)
            else:
                api.create_grant(g["kind"], g["name"], "experiment", g["experiment_id"], g["permission"])
                out["grants_restored"].append(g)
        if res["error"]:
            return out

    for batch in chunks(todo["loose_run_ids"], RUN_BATCH):
        try:
            res = api.trash_cleanup(run_ids=batch, older_than=older_than)
        except MlflowError as exc:
            out["errors"].append("purging runs: %s" % exc)
            return out
        if res["error"]:
            out["errors"].append("purging runs %s: %s" % (", ".join(batch), res["error"]))
            return out
        record_runs(res["deleted_runs"])
        out["failed_runs"].extend(res["failed_runs"])
    return out


def failure_message(out):
    parts = list(out["errors"])
    parts += ["experiment %s kept: %s" % (f["experiment_id"], f["error"]) for f in out["failed_experiments"]]
    parts += ["run %s kept: %s" % (f["run_id"], f["error"]) for f in out["failed_runs"]]
    msg = "purge incomplete (%d experiments and %d runs were purged): %s" % (
        len(out["experiments"]), len(out["runs"]), "; ".join(parts))
    if out["grants_restored"]:
        msg += "; the grants of the experiments kept were put back"
    return msg


def main_logic(module):
    p = module.params
    ids, names, run_ids, delta = validate(p)
    api = module.api
    api.generation  # one probe: proves the credentials, reports api_generation
    if not p["stale_grants_only"]:
        api.require_trash_api(EXEC_POINTER)  # 5.x: one line, before any other request
    todo = plan(module, api, ids, names, run_ids, delta)
    before = dict(experiments=todo["experiments"], runs=todo["runs"], grants=todo["grants"])
    after = dict(experiments=[], runs=[], grants=[])
    common = dict(not_in_trash=todo["not_in_trash"], too_recent=todo["too_recent"])
    end = module.converge(before, after, lambda: purge(module, api, todo))
    if module.check_mode or end is after:
        module.exit(experiments=todo["experiments"], runs=todo["runs"], grants_removed=todo["grants"], **common)
    module.changed = bool(end["experiments"] or end["runs"] or end["grants_removed"])
    result = dict(experiments=end["experiments"], runs=end["runs"], grants_removed=end["grants_removed"], **common)
    if end["errors"] or end["failed_experiments"] or end["failed_runs"]:
        result.update(failed_experiments=end["failed_experiments"], failed_runs=end["failed_runs"])
        if end["grants_restored"]:
            result["grants_restored"] = end["grants_restored"]
        module.fail(failure_message(end), **result)
    module.exit(**result)


def main():
    module = MlflowModule(
        argument_spec=dict(
            experiment_ids=dict(type="list", elements="str"),
            experiments=dict(type="list", elements="str"),
            run_ids=dict(type="list", elements="str"),
            purge_all=dict(type="bool", default=False),
            older_than=dict(type="str"),
            remove_stale_grants=dict(type="bool", default=True),
            stale_grants_only=dict(type="bool", default=False),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
