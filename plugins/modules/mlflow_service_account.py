#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_service_account
short_description: Create and delete mlflow-oidc-auth service accounts
version_added: 0.1.0
description:
  - Makes sure a service account exists (the admin guide's step 3), or is deleted.
  - The same as M(prokube.mlflow.mlflow_user) with O(prokube.mlflow.mlflow_user#module:service_account=true) fixed.
    An existing administrator flag is kept. An existing person's account of that name becomes a service
    account (with a warning).
  - A service account signs in with access tokens only (see M(prokube.mlflow.mlflow_token)) and cannot be a
    group member, so it needs direct grants.
  - Needs administrator rights on the server.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
options:
  name:
    description:
      - The service account's username. Compared and stored lower-cased.
      - Not O(username), which is the connection's basic-auth user (the administrator running the task).
    type: str
    required: true
  display_name:
    description:
      - The name shown in the UI. Used when the account is created; defaults to O(name) then.
      - mlflow-oidc-auth cannot change a display name later. A different value on an existing account is reported as a
        warning and in RV(display_name_mismatch), and does not count as a change.
    type: str
  state:
    description: V(present) creates the service account, V(absent) deletes it with all its grants and tokens.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: prokube.mlflow.mlflow_user
  - module: prokube.mlflow.mlflow_token
"""

EXAMPLES = r"""
- name: The team's service account (admin guide, step 3)
  prokube.mlflow.mlflow_service_account:
    name: ds-team-alpha-sa
    display_name: DS Team Alpha Service Account

- name: Retire it
  prokube.mlflow.mlflow_service_account:
    name: ds-team-alpha-sa
    state: absent
"""

RETURN = r"""
user:
  description: The service account after the task (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    username:
      description: The (lower-cased) username.
      type: str
    display_name:
      description: The display name.
      type: str
    is_admin:
      description: Whether the account is an administrator.
      type: bool
    service_account:
      description: Always V(true) after O(state=present).
      type: bool
    groups:
      description: Names of its groups (service accounts have none).
      type: list
      elements: str
  sample:
    username: ds-team-alpha-sa
    display_name: DS Team Alpha Service Account
    is_admin: false
    service_account: true
    groups: []
display_name_mismatch:
  description: The requested and the actual display name, when they differ on an existing account (not changeable).
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

from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule
from ansible_collections.prokube.mlflow.plugins.module_utils._users import run_user, user_argument_spec


def main_logic(module):
    run_user(module, service_account_fixed=True)


def main():
    module = MlflowModule(argument_spec=user_argument_spec(service_account_fixed=True))
    module.run(main_logic)


if __name__ == "__main__":
    main()
