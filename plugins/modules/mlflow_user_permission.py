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
options:
  user:
    description:
      - The user or service account to grant to (the server lower-cases usernames).
      - Named O(user) because O(username) is the connection's login name.
      - It must exist - create a service account with M(prokube.mlflow.mlflow_user); a person appears at first sign-in.
    type: str
    required: true
  experiment:
    description:
      - Name of the experiment to grant on. Resolved to its id from the subject's own grant listing when
        possible, otherwise by one lookup. A missing experiment fails the task before anything is written.
      - Mutually exclusive with O(experiment_id), O(registered_model), O(prompt), O(pattern) and O(grants).
    type: str
  experiment_id:
    description: Id of the experiment to grant on (checked to exist before granting).
    type: str
  registered_model:
    description: Name of the registered model to grant on (must exist and must not be a prompt).
    type: str
  prompt:
    description: Name of the prompt to grant on (must exist and be a prompt).
    type: str
  pattern:
    description:
      - A regular expression matched against resource B(names); grants O(permission) on every resource of
        O(resource_type) whose name matches. The regex is unique per subject, so it identifies the grant.
      - The server rejects regexes prone to catastrophic backtracking.
    type: str
  resource_type:
    description: What O(pattern) matches. Required with O(pattern), not allowed without it.
    type: str
    choices: [experiment, registered_model, prompt]
  priority:
    description:
      - Priority of a O(pattern) grant; lower numbers win when several patterns match.
      - When omitted, an existing pattern keeps its priority and a new one gets C(100).
    type: int
  permission:
    description:
      - The level to grant. V(READ) < V(USE) < V(EDIT) < V(MANAGE); V(NO_PERMISSIONS) is an explicit deny.
      - Required with O(state=present). Checked before any request; a level the server's API generation does
        not know (V(USE) before mlflow-oidc-auth 6.0) fails after the version probe, before any other request.
    type: str
    choices: [READ, USE, EDIT, MANAGE, NO_PERMISSIONS]
  state:
    description:
      - V(present) creates (POST) or changes (PATCH) the grant, V(absent) revokes it (DELETE).
      - With O(grants), each item has its own O(grants[].state) and this option is not used.
    type: str
    choices: [present, absent]
    default: present
  grants:
    description:
      - Several grants of this subject in one task, each naming one resource or one pattern.
      - The subject's listings are read once per resource type, so a rerun that changes nothing costs a few
        requests whatever the length of the list.
      - Mutually exclusive with the single-grant options.
    type: list
    elements: dict
    suboptions:
      experiment:
        description: Experiment name.
        type: str
      experiment_id:
        description: Experiment id.
        type: str
      registered_model:
        description: Registered model name.
        type: str
      prompt:
        description: Prompt name.
        type: str
      pattern:
        description: Regex on resource names (needs O(grants[].resource_type)).
        type: str
      resource_type:
        description: What O(grants[].pattern) matches.
        type: str
        choices: [experiment, registered_model, prompt]
      priority:
        description: Priority of a pattern grant (lower wins); default C(100) for a new pattern.
        type: int
      permission:
        description: The level; required when O(grants[].state=present).
        type: str
        choices: [READ, USE, EDIT, MANAGE, NO_PERMISSIONS]
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description:
      - With O(grants), also revoke this subject's grants that the list does not name, of each kind the list
        uses (experiment, registered model and prompt grants; pattern grants per resource type). Kinds the list
        does not use are left alone.
      - In check mode the result's RV(drift.removed) is the drift report - exactly what a real run would revoke.
    type: bool
    default: false
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
