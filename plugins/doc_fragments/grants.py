# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The grant options shared by mlflow_group_permission and mlflow_user_permission (one engine: _grants.py).
    DOCUMENTATION = r"""
options:
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
