#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_user_info
short_description: Read mlflow-oidc-auth users, service accounts, their groups and token metadata
version_added: 0.1.0
description:
  - With O(name), returns that user or service account with its flags, groups and the metadata of its access
    tokens (name, prefix, expiry, last use; never a secret).
  - Without it, returns every user and service account (flags, active, managed by), following every page.
  - Needs administrator rights on the server.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.info_attributes
options:
  name:
    description:
      - Return only this user or service account (compared lower-cased). An unknown name gives an empty list.
      - Not O(username), which is the connection's basic-auth user.
    type: str
  service_account:
    description:
      - When listing, V(true) returns only service accounts and V(false) only people. Not set returns both.
      - Ignored with O(name).
    type: bool
"""

EXAMPLES = r"""
- name: The service account and its tokens' expiry
  prokube.mlflow.mlflow_user_info:
    name: ds-team-alpha-sa
  register: sa

- name: Every service account
  prokube.mlflow.mlflow_user_info:
    service_account: true
  register: service_accounts
"""

RETURN = r"""
users:
  description: The users found; empty when none matched.
  returned: always
  type: list
  elements: dict
  contains:
    username:
      description: The username.
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
    active:
      description: Whether the user is active (deactivated users cannot sign in and have no tokens).
      type: bool
    managed_by:
      description: Which source owns the user row (V(manual), V(scim), C(oidc:<provider>)); 8.0+ servers.
      type: str
    groups:
      description: Names of the user's groups. Only with O(name).
      type: list
      elements: str
    tokens:
      description:
        - The user's access tokens, without secrets. Only with O(name).
        - Before 8.0 (the admin guide's 5.x) the one token (the account's password) appears as V(default) with its
          expiry only once one was minted with an expiry (C(id) and C(token_prefix) are null there).
      type: list
      elements: dict
      contains:
        id:
          description: The token's id.
          type: int
        name:
          description: The token's name (V(default) is the one C(PATCH /users/access-token) replaces).
          type: str
        token_prefix:
          description: The public prefix (the 8 hex digits after C(mlf_)).
          type: str
        created_at:
          description: When it was created.
          type: str
        created_by:
          description: Who created it.
          type: str
        expires_at:
          description: When it expires.
          type: str
        last_used_at:
          description: When it last authenticated a request (to the minute).
          type: str
        active:
          description: Whether it is still valid.
          type: bool
  sample:
    - username: ds-team-alpha-sa
      display_name: DS Team Alpha Service Account
      is_admin: false
      service_account: true
      active: true
      managed_by: manual
      groups: []
      tokens:
        - {id: 7, name: default, token_prefix: 1a2b3c4d, expires_at: "2027-06-30T00:00:00+00:00", active: true}
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
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule

TOKEN_KEYS = ("id", "name", "token_prefix", "created_at", "created_by", "expires_at", "last_used_at", "active")


def row_view(row):
    out = {"username": row["username"], "display_name": row.get("display_name"), "is_admin": bool(row.get("is_admin")),
           "service_account": bool(row.get("is_service_account"))}
    for key in ("active", "managed_by"):
        if key in row:
            out[key] = row[key]
    return out


def one_user(api, username):
    user = api.get_user(username)
    if user is None:
        return []
    out = row_view(user)
    try:
        detail = api.get_user_detail(username)
    except MlflowApiError as exc:
        if not exc.missing_route:
            raise
        detail = None
    if detail:
        out.update(active=detail.get("active"), managed_by=detail.get("managed_by"))
    out["groups"] = user["groups"]
    tokens = api.user_tokens(user)  # 8.0+: one request; before: the one token's expiry, read with the user
    out["tokens"] = [dict((k, t.get(k)) for k in TOKEN_KEYS) for t in tokens]
    return [out]


def main_logic(module):
    p = module.params
    api = module.api
    api.generation  # probe once: proves the credentials, picks the routes
    if p["name"]:
        users = one_user(api, p["name"].strip().lower())
    else:
        users = [row_view(r) for r in api.list_users(service=p["service_account"])]
    module.exit(users=users)


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str"),
            service_account=dict(type="bool"),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
