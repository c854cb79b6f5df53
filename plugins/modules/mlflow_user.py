#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_user
short_description: Create, flag, deactivate and delete mlflow-oidc-auth users
version_added: 0.1.0
description:
  - Makes sure a user (a person or a service account) exists in mlflow-oidc-auth with the given flags, or is deleted.
  - People normally appear at their first sign-in through the identity provider; creating them ahead lets an
    administrator grant permissions before that.
  - Only the flags a task sets are changed. The server's create call overwrites both C(is_admin) and
    C(is_service_account) with what it is sent, so the module reads the user first, posts again only when a flag
    really differs, and then always sends both flags (an omitted O(is_admin) never demotes an administrator).
  - Usernames are lower-cased, as the server does.
  - The account is named by O(name). O(username) and O(password) are the connection's credentials (the administrator
    running the task), as in every module of this collection.
  - Needs administrator rights on the server.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
options:
  name:
    description:
      - The user's username, usually an e-mail address. Compared and stored lower-cased.
      - Not O(username), which is the connection's basic-auth user (the administrator running the task).
    type: str
    required: true
  display_name:
    description:
      - The name shown in the UI. Used when the user is created; defaults to O(name) then.
      - mlflow-oidc-auth cannot change a display name later. A different value on an existing user is reported as a
        warning and in RV(display_name_mismatch), and does not count as a change.
    type: str
  is_admin:
    description:
      - Whether the user is an administrator. Not set means keep what the user has (V(false) for a new user).
      - The server refuses to demote the last active administrator; the module says so.
    type: bool
  service_account:
    description:
      - Whether the account is a service account (no interactive sign-in, no group membership, direct grants only).
      - Not set means keep what the account is (a person for a new user). A person becomes a service account only
        when a task sets V(true).
    type: bool
  active:
    description:
      - V(false) deactivates the user (revokes every session and access token, keeps the grants); V(true)
        reactivates. Not set means leave it as it is.
      - The server refuses to deactivate the last active administrator.
      - Needs mlflow-oidc-auth 6.0 or later; on 5.x (the admin guide's) setting it fails in one line before anything
        is written.
    type: bool
  state:
    description:
      - V(present) creates or updates the user, V(absent) deletes it with all its grants and tokens.
      - The server refuses to delete the last active administrator; the module says so in one line.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: prokube.mlflow.mlflow_service_account
  - module: prokube.mlflow.mlflow_token
  - module: prokube.mlflow.mlflow_user_info
"""

EXAMPLES = r"""
- name: A data scientist, before her first sign-in
  prokube.mlflow.mlflow_user:
    name: alice@example.com
    display_name: Alice Example

- name: A second administrator (other flags stay as they are)
  prokube.mlflow.mlflow_user:
    name: bob@example.com
    is_admin: true

- name: Deactivate a leaver (sessions and tokens revoked, grants kept)
  prokube.mlflow.mlflow_user:
    name: carol@example.com
    active: false

- name: Delete a user
  prokube.mlflow.mlflow_user:
    name: dave@example.com
    state: absent
"""

RETURN = r"""
user:
  description: The user after the task (predicted in check mode); empty when absent.
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
      description: Whether the user is an administrator.
      type: bool
    service_account:
      description: Whether the account is a service account.
      type: bool
    groups:
      description: Names of the groups the user is a member of.
      type: list
      elements: str
    active:
      description: Whether the user is active. Only when O(active) is set.
      type: bool
  sample:
    username: alice@example.com
    display_name: Alice Example
    is_admin: false
    service_account: false
    groups: [ds-team-alpha]
display_name_mismatch:
  description: The requested and the actual display name, when they differ on an existing user (not changeable).
  returned: when they differ
  type: dict
  sample: {requested: Alice E., actual: Alice Example}
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
    run_user(module)


def main():
    module = MlflowModule(argument_spec=user_argument_spec())
    module.run(main_logic)


if __name__ == "__main__":
    main()
