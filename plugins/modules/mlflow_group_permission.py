#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_group_permission
short_description: Grant a group access to MLflow experiments, registered models and prompts
version_added: 0.1.0
description:
  - Manages a group's grants on mlflow-oidc-auth - on one experiment, registered model or prompt, on every
    resource whose name matches a regex (pattern grants), or a whole list of them (O(grants)), optionally
    revoking what the list does not name (O(exclusive)).
  - Idempotent through the server's own verbs - create (POST), change (PATCH), revoke (DELETE). A group's
    single grant cannot be read on its own, so the module reads the group's listing once per resource type.
  - The server accepts grants on resources that do not exist and fails for groups that do not exist; this
    module checks the group and every resource it grants on first and fails with one line, having written
    nothing.
  - Members inherit the group's grants; service accounts cannot be group members (use
    M(prokube.mlflow.mlflow_user_permission)).
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
  - prokube.mlflow.grants
options:
  group:
    description:
      - The group's name as MLflow stores it (with a multi-provider setup, with its provider prefix such as
        C(pk:ds-team-alpha)).
      - It must exist - create it with M(prokube.mlflow.mlflow_group).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The team may edit its experiment (admin guide, step 2)
  prokube.mlflow.mlflow_group_permission:
    group: ds-team-alpha
    experiment: ds-team-alpha-exp1
    permission: EDIT

- name: Read on every prompt whose name starts with alpha-
  prokube.mlflow.mlflow_group_permission:
    group: ds-team-alpha
    pattern: "^alpha-.*"
    resource_type: prompt
    priority: 10
    permission: READ

- name: All of the team's grants in one task; revoke any other experiment or model grant
  prokube.mlflow.mlflow_group_permission:
    group: ds-team-alpha
    exclusive: true
    grants:
      - {experiment: ds-team-alpha-exp1, permission: EDIT}
      - {experiment: shared-benchmarks, permission: READ}
      - {registered_model: alpha-classifier, permission: MANAGE}
      - {experiment: legacy-project, permission: NO_PERMISSIONS}
  register: alpha_grants

- name: Show the drift a real run would remove
  ansible.builtin.debug:
    var: alpha_grants.removed
"""

RETURN = r"""
group:
  description: The group.
  returned: always
  type: str
grants:
  description: Each grant the task names, after the task (predicted in check mode).
  returned: always
  type: list
  elements: dict
  sample:
    - {type: experiment, experiment_id: "3", name: ds-team-alpha-exp1, permission: EDIT, state: present}
    - {type: prompt, pattern: "^alpha-.*", priority: 100, permission: READ, state: present}
grant:
  description: The one grant of the single-grant form (the first element of RV(grants)).
  returned: without O(grants)
  type: dict
drift:
  description:
    - What the task changes (in check mode - would change), by kind of change. With O(exclusive) in check mode this is
      the drift report.
    - Each entry names the grant (C(type) and C(experiment_id)/C(name) or C(pattern)) and its C(permission).
  returned: always
  type: dict
  contains:
    added:
      description: Grants created.
      type: list
      elements: dict
    changed:
      description: Grants whose level (or pattern priority) changed, with C(previous_permission) (and C(previous_priority)).
      type: list
      elements: dict
    removed:
      description: Grants revoked - by O(state=absent) or, with O(exclusive), because the list does not name them.
      type: list
      elements: dict
  sample:
    added: [{type: experiment, experiment_id: "3", name: ds-team-alpha-exp1, permission: EDIT}]
    changed: [{type: prompt, name: alpha-summarize, permission: READ, previous_permission: EDIT}]
    removed: [{type: registered_model, name: old-model, permission: READ}]
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

from ansible_collections.prokube.mlflow.plugins.module_utils._grants import GrantEngine, argument_spec, module_kwargs
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule


def main():
    module = MlflowModule(argument_spec=argument_spec("group"), **module_kwargs())
    module.run(lambda m: GrantEngine(m, "group", "group").run())


if __name__ == "__main__":
    main()
