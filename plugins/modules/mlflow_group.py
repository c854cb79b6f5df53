#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_group
short_description: Create mlflow-oidc-auth groups ahead of their members' first sign-in
version_added: 0.1.0
description:
  - Makes sure a group exists, so grants can be given to it before anyone of it signs in (the admin guide's step 1).
    A member who signs in later joins the group from the identity provider's claims and inherits its grants.
  - Group names are opaque, for example C(pk:ds-team-alpha) (a provider-prefixed name) or C(/data-science)
    (a Keycloak group path); they are encoded correctly wherever they appear in a URL.
  - Membership comes from the identity provider at sign-in (or SCIM); no API changes it, so this module does not.
  - Needs administrator rights. Creating a group needs mlflow-oidc-auth 7.21 or later. Older servers (the admin
    guide's 5.x) create a group only when one of its members first signs in; there the module reports an existing
    group as unchanged and fails with that explanation for a missing one (in check mode too).
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
options:
  name:
    description: The group's name, exactly as the server stores it (case and prefix included).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group.
      - V(absent) cannot be carried out, because mlflow-oidc-auth has no API that deletes a group. It succeeds without
        change when the group does not exist and fails with a message saying so when it does.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: prokube.mlflow.mlflow_user_info
"""

EXAMPLES = r"""
- name: The team's group, before anyone of it signs in (admin guide, step 1)
  prokube.mlflow.mlflow_group:
    name: pk:ds-team-alpha

- name: A Keycloak group path works too
  prokube.mlflow.mlflow_group:
    name: /data-science
"""

RETURN = r"""
group:
  description: The group after the task (predicted in check mode); empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: The group's name.
      type: str
  sample: {name: "pk:ds-team-alpha"}
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

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule


def main_logic(module):
    name = module.params["name"]
    if not name or not name.strip():
        raise MlflowError("name must not be empty")
    api = module.api
    api.generation  # probe once: proves the credentials, picks the routes
    before = {"name": name} if api.group_exists(name) else None

    if module.params["state"] == "absent":
        if before is not None:
            raise MlflowError("group %r exists and cannot be deleted: mlflow-oidc-auth has no API that deletes or renames "
                              "a group (remove it from the identity provider and the server's database instead)" % name)
        module.converge(None, None, lambda: None)
        module.exit(group={})

    if before is None and not api.generation.can_create_groups:
        raise MlflowError(api.missing_group_message(name))  # 5.x: before anything is written, in check mode too

    def write():
        api.create_group(name)
        if not api.group_exists(name):
            raise MlflowError("the server accepted group %r but does not list it afterwards" % name)

    end = module.converge(before, {"name": name}, write)
    module.exit(group=end)


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
