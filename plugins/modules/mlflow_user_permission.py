#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_user_permission
short_description: Grant a user or service account access to MLflow experiments, registered models and prompts
version_added: 0.1.0
description:
  - Manages the direct grants of one user or service account on mlflow-oidc-auth - on one experiment,
    registered model or prompt, on every resource whose name matches a regex (pattern grants), or a whole list
    of them (O(grants)), optionally revoking what the list does not name (O(exclusive)).
  - Idempotent through the server's own verbs - create (POST), change (PATCH), revoke (DELETE).
  - The server accepts grants on resources that do not exist and answers a misleading 404 for unknown users;
    this module checks the user and every resource it grants on first and fails with one line, having written
    nothing.
  - A user's grant on a prompt and on a registered model of the same name is one grant on the server.
  - Only direct grants are managed; what the user inherits from groups is M(prokube.mlflow.mlflow_group_permission)'s.
    A direct grant ranked below a group or pattern grant by the server's C(PERMISSION_SOURCE_ORDER) is read
    with one extra request; with O(exclusive), only direct grants the server's listing shows are revoked.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
  - prokube.mlflow.grants
options:
  user:
    description:
      - The user or service account to grant to (the server lower-cases usernames).
      - Named O(user) because O(username) is the connection's login name.
      - It must exist - create a service account with M(prokube.mlflow.mlflow_user); a person appears at first sign-in.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The pipeline's service account may read the experiment
  prokube.mlflow.mlflow_user_permission:
    user: svc-alpha-pipeline
    experiment: ds-team-alpha-exp1
    permission: READ

- name: Explicitly deny a user one model
  prokube.mlflow.mlflow_user_permission:
    user: contractor@example.com
    registered_model: alpha-classifier
    permission: NO_PERMISSIONS

- name: Revoke
  prokube.mlflow.mlflow_user_permission:
    user: svc-alpha-pipeline
    experiment: ds-team-alpha-exp1
    state: absent

- name: The service account's grants, nothing else
  prokube.mlflow.mlflow_user_permission:
    user: svc-alpha-pipeline
    exclusive: true
    grants:
      - {experiment: ds-team-alpha-exp1, permission: EDIT}
      - {prompt: alpha-summarize, permission: READ}
      - {pattern: "^alpha-.*", resource_type: registered_model, priority: 5, permission: READ}
"""

RETURN = r"""
user:
  description: The user as the server stores it (lower-cased).
  returned: always
  type: str
is_service_account:
  description: Whether the subject is a service account.
  returned: always
  type: bool
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
    module = MlflowModule(argument_spec=argument_spec("user"), **module_kwargs())
    module.run(lambda m: GrantEngine(m, "user", "user").run())


if __name__ == "__main__":
    main()
