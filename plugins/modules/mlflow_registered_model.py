#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_registered_model
short_description: Create, describe, tag and delete MLflow registered models
version_added: 0.1.0
description:
  - Makes sure a registered model exists in the MLflow model registry with the given description and tags, or
    does not exist.
  - Prompts are registered models too; a name that is a prompt is refused here - use M(prokube.mlflow.mlflow_prompt).
  - On servers with mlflow-oidc-auth the creator gets MANAGE on a new model; deleting a model removes its grants.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
  - prokube.mlflow.tags
options:
  name:
    description: Name of the registered model.
    type: str
    required: true
  description:
    description: The model's description. Left as it is when omitted; V("") clears it.
    type: str
  state:
    description: V(present) creates or updates, V(absent) deletes the model with all its versions.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The team's model
  prokube.mlflow.mlflow_registered_model:
    name: alpha-classifier
    description: Churn classifier of team alpha
    tags:
      team: ds-team-alpha

- name: Remove it
  prokube.mlflow.mlflow_registered_model:
    name: alpha-classifier
    state: absent
"""

RETURN = r"""
registered_model:
  description: The model after the task (predicted in check mode); empty when it is absent.
  returned: always
  type: dict
  contains:
    name:
      description: Its name.
      type: str
    description:
      description: Its description.
      type: str
    tags:
      description: Its tags.
      type: dict
  sample:
    name: alpha-classifier
    description: Churn classifier of team alpha
    tags: {team: ds-team-alpha}
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
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule, desired_tags, sync_tags


def view(model):
    return {"name": model["name"], "description": model["description"], "tags": dict(model["tags"])} if model else None


def main_logic(module):
    p = module.params
    api = module.api
    api.generation  # probe once: proves the credentials and reports the generation
    found = api.get_registered_model(p["name"])
    if found is not None and found["is_prompt"]:
        raise MlflowError("%r is a prompt, not a registered model: manage it with prokube.mlflow.mlflow_prompt" % p["name"])
    before = view(found)

    if p["state"] == "absent":
        end = module.converge(before, None, lambda: api.delete_registered_model(p["name"]))
        module.exit(registered_model=end or {})

    if before is None:
        after = {"name": p["name"], "description": p["description"] or "", "tags": desired_tags({}, p["tags"], False)}

        def write():
            api.create_registered_model(p["name"], after["description"], after["tags"])
            return view(api.get_registered_model(p["name"]))
    else:
        after = dict(before, tags=desired_tags(before["tags"], p["tags"], p["purge_tags"]))
        if p["description"] is not None:
            after["description"] = p["description"]

        def write():
            if after["description"] != before["description"]:
                api.update_registered_model(p["name"], after["description"])
            sync_tags(before["tags"], after["tags"], lambda k, v: api.set_registered_model_tag(p["name"], k, v),
                      lambda k: api.delete_registered_model_tag(p["name"], k))
            return view(api.get_registered_model(p["name"]))

    module.exit(registered_model=module.converge(before, after, write))


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
