#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_experiment_info
short_description: Read MLflow experiments
version_added: 0.1.0
description:
  - Returns one experiment by name or id, or every experiment matching a filter, following every page.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.info_attributes
options:
  name:
    description: Return the experiment of this name (active or soft-deleted).
    type: str
  experiment_id:
    description: Return the experiment of this id.
    type: str
  filter:
    description:
      - An MLflow search filter, for example C(name LIKE 'ds-team-alpha-%') or C(tags.team = 'alpha').
      - Without O(name), O(experiment_id) and O(filter), all experiments are returned.
    type: str
  include_deleted:
    description:
      - Also return soft-deleted experiments when searching. With O(name) or O(experiment_id) a soft-deleted
        experiment is always returned (its RV(experiments[].lifecycle_stage) says so).
    type: bool
    default: false
  deleted_only:
    description: Return only soft-deleted experiments (what garbage collection would purge).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: One experiment
  prokube.mlflow.mlflow_experiment_info:
    name: ds-team-alpha-exp1
  register: exp

- name: All of a team's experiments, deleted ones too
  prokube.mlflow.mlflow_experiment_info:
    filter: "name LIKE 'ds-team-alpha-%'"
    include_deleted: true
  register: team_exps
"""

RETURN = r"""
experiments:
  description: The experiments found; empty when none matched.
  returned: always
  type: list
  elements: dict
  contains:
    experiment_id:
      description: Its id.
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
    creation_time:
      description: Creation time in milliseconds since the epoch.
      type: int
    last_update_time:
      description: Last update time in milliseconds since the epoch.
      type: int
api_generation:
  description: The mlflow-oidc-auth API generation detected on the server.
  returned: when the server was reached
  type: str
http_requests:
  description: How many HTTP requests this task sent to MLflow.
  returned: always
  type: int
"""

from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule


def main_logic(module):
    p = module.params
    api = module.api
    api.generation
    if p["name"] or p["experiment_id"]:
        exp = api.get_experiment_by_name(p["name"]) if p["name"] else api.get_experiment(p["experiment_id"])
        if exp and p["name"] and p["experiment_id"] and exp["experiment_id"] != p["experiment_id"]:
            exp = None
        found = [exp] if exp else []
    else:
        view_type = "DELETED_ONLY" if p["deleted_only"] else ("ALL" if p["include_deleted"] else "ACTIVE_ONLY")
        found = api.search_experiments(p["filter"], view_type=view_type)
    module.exit(experiments=found)


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str"),
            experiment_id=dict(type="str"),
            filter=dict(type="str"),
            include_deleted=dict(type="bool", default=False),
            deleted_only=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("filter", "name"), ("filter", "experiment_id"), ("include_deleted", "deleted_only")],
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
