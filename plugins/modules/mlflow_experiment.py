#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_experiment
short_description: Create, tag, soft-delete and restore MLflow experiments
version_added: 0.1.0
description:
  - Makes sure an MLflow experiment exists with the given tags, or is soft-deleted.
  - O(state=absent) soft-deletes (MLflow's lifecycle stage C(deleted)); the name stays taken until garbage
    collection (M(prokube.mlflow.mlflow_gc)) purges it. O(state=present) on a soft-deleted experiment restores it.
  - On servers with mlflow-oidc-auth the creator gets MANAGE on a new experiment.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
  - prokube.mlflow.tags
options:
  name:
    description: Name of the experiment.
    type: str
    required: true
  state:
    description: V(present) creates or restores, V(absent) soft-deletes.
    type: str
    choices: [present, absent]
    default: present
  artifact_location:
    description:
      - Where the experiment's artifacts are stored. Applies only when the experiment is created; MLflow cannot
        change it later. A different value on an existing experiment is reported as a warning and in
        RV(artifact_location_mismatch), never silently ignored.
    type: str
"""

EXAMPLES = r"""
- name: The team's shared experiment (admin guide, step 1)
  prokube.mlflow.mlflow_experiment:
    tracking_uri: https://platform.example.com/mlflow
    username: admin@example.com
    password: "{{ mlflow_admin_pat }}"
    name: ds-team-alpha-exp1
    tags:
      team: ds-team-alpha

- name: Connection settings once for the whole play
  hosts: localhost
  module_defaults:
    group/prokube.mlflow.mlflow:
      tracking_uri: "{{ mlflow_uri }}"
      username: "{{ mlflow_admin }}"
      password: "{{ mlflow_admin_pat }}"
  tasks:
    - name: Soft-delete an old experiment
      prokube.mlflow.mlflow_experiment:
        name: ds-team-alpha-old
        state: absent
"""

RETURN = r"""
experiment:
  description: The experiment after the task (predicted in check mode); empty when it never existed.
  returned: always
  type: dict
  contains:
    experiment_id:
      description: The experiment's id (empty when it would be created in check mode).
      type: str
    name:
      description: Its name.
      type: str
    lifecycle_stage:
      description: V(active) or V(deleted).
      type: str
    artifact_location:
      description: Where its artifacts are stored.
      type: str
    tags:
      description: Its tags.
      type: dict
  sample:
    experiment_id: "1"
    name: ds-team-alpha-exp1
    lifecycle_stage: active
    artifact_location: mlflow-artifacts:/1
    tags: {team: ds-team-alpha}
artifact_location_mismatch:
  description: The requested and the actual artifact location, when they differ on an existing experiment.
  returned: when they differ
  type: dict
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

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule, desired_tags, sync_tags

VIEW_KEYS = ("experiment_id", "name", "lifecycle_stage", "artifact_location", "tags")


def view(exp):
    return dict((k, exp[k]) for k in VIEW_KEYS) if exp else None


def create(module, api, name, artifact_location, tags):
    try:
        return api.create_experiment(name, artifact_location, tags)
    except MlflowApiError as exc:
        # A create can fail after MLflow stored the experiment (the plugin's creator grant collided with a
        # stale grant on a reused id). Re-read by name and report what really happened.
        found = api.get_experiment_by_name(name)
        if found is None:
            raise
        module.warn("MLflow created experiment %r (id %s) but the server reported an error: %s. A stale grant on a "
                    "purged experiment with the same id may exist: run prokube.mlflow.mlflow_gc, which removes such "
                    "grants." % (name, found["experiment_id"], exc))
        return found["experiment_id"]


def main_logic(module):
    p = module.params
    api = module.api
    api.generation  # probe once: proves the credentials and reports the generation
    before = view(api.get_experiment_by_name(p["name"]))
    extra = {}

    if p["state"] == "absent":
        after = None if before is None else dict(before, lifecycle_stage="deleted")
        end = module.converge(before, after, lambda: api.delete_experiment(before["experiment_id"]))
        module.exit(experiment=end or {})

    if before is None:
        after = dict(experiment_id="", name=p["name"], lifecycle_stage="active",
                     artifact_location=p["artifact_location"], tags=desired_tags({}, p["tags"], p["purge_tags"]))

        def write():
            exp_id = create(module, api, p["name"], p["artifact_location"], after["tags"])
            created = api.get_experiment(exp_id)
            lost = [(k, v) for k, v in sorted(after["tags"].items()) if created["tags"].get(k) != v]
            for key, value in lost:  # tags lost by a create that reported an error
                api.set_experiment_tag(exp_id, key, value)
            return view(api.get_experiment(exp_id) if lost else created)
    else:
        after = dict(before, lifecycle_stage="active", tags=desired_tags(before["tags"], p["tags"], p["purge_tags"]))
        if p["artifact_location"] and p["artifact_location"] != before["artifact_location"]:
            extra["artifact_location_mismatch"] = {"requested": p["artifact_location"], "actual": before["artifact_location"]}
            module.warn("experiment %r keeps its artifact location %s: MLflow sets it only at creation (requested %s)"
                        % (p["name"], before["artifact_location"], p["artifact_location"]))

        def write():
            exp_id = before["experiment_id"]
            if before["lifecycle_stage"] != "active":
                api.restore_experiment(exp_id)
            sync_tags(before["tags"], after["tags"], lambda k, v: api.set_experiment_tag(exp_id, k, v),
                      lambda k: api.delete_experiment_tag(exp_id, k))
            return view(api.get_experiment(exp_id))

    end = module.converge(before, after, write)
    module.exit(experiment=end, **extra)


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=False),
            artifact_location=dict(type="str"),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
