#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_permission_info
short_description: Read the grants of a user or group, or who holds what on one MLflow resource
version_added: 0.1.0
description:
  - With O(group) or O(user) - that subject's grants on experiments, registered models and prompts, and its
    pattern (regex) grants.
  - With O(experiment), O(experiment_id), O(registered_model) or O(prompt) - the users, service accounts and
    groups holding a grant on that one resource.
  - For a user, only direct grants are listed; what the user inherits through groups is in the groups' grants.
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.info_attributes
options:
  group:
    description: The group whose grants to read.
    type: str
  user:
    description:
      - The user or service account whose grants to read.
      - Named O(user) because O(username) is the connection's login name.
    type: str
  experiment:
    description: Name of the experiment whose holders to read.
    type: str
  experiment_id:
    description: Id of the experiment whose holders to read.
    type: str
  registered_model:
    description: Name of the registered model whose holders to read.
    type: str
  prompt:
    description: Name of the prompt whose holders to read.
    type: str
  include_patterns:
    description: With O(group) or O(user), also read the pattern grants (three more requests).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: What may team alpha do?
  prokube.mlflow.mlflow_permission_info:
    group: ds-team-alpha
  register: alpha

- name: Who holds what on the experiment?
  prokube.mlflow.mlflow_permission_info:
    experiment: ds-team-alpha-exp1
  register: holders
"""

RETURN = r"""
exists:
  description: Whether the subject or resource exists. When it does not, the lists are empty.
  returned: always
  type: bool
grants:
  description: The subject's grants by resource type.
  returned: with O(group) or O(user)
  type: dict
  contains:
    experiments:
      description: Experiment grants (C(experiment_id), C(name), C(permission)).
      type: list
      elements: dict
    registered_models:
      description: Registered model grants (C(name), C(permission)).
      type: list
      elements: dict
    prompts:
      description: Prompt grants (C(name), C(permission)).
      type: list
      elements: dict
  sample:
    experiments: [{experiment_id: "3", name: ds-team-alpha-exp1, permission: EDIT}]
    registered_models: []
    prompts: [{name: alpha-summarize, permission: READ}]
patterns:
  description: The subject's pattern grants by resource type (C(id), C(pattern), C(priority), C(permission)).
  returned: with O(group) or O(user) and O(include_patterns=true)
  type: dict
  sample:
    experiment: [{id: "1", pattern: "^alpha-.*", priority: 100, permission: READ}]
    registered_model: []
    prompt: []
resource:
  description: The resource asked about (C(type), C(name), C(experiment_id) for an experiment).
  returned: with a resource option
  type: dict
users:
  description: Users and service accounts holding a direct grant on the resource (C(name), C(permission), C(kind)).
  returned: with a resource option
  type: list
  elements: dict
groups:
  description: Groups holding a grant on the resource (C(name), C(permission)).
  returned: with a resource option
  type: list
  elements: dict
is_service_account:
  description: Whether the user is a service account.
  returned: with O(user) when the user exists
  type: bool
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

SUBJECTS = ("group", "user")
RESOURCES = ("experiment", "experiment_id", "registered_model", "prompt")
TYPES = (("experiment", "experiments"), ("registered_model", "registered_models"), ("prompt", "prompts"))


def subject_grants(module, kind, subject):
    api = module.api
    listings = dict((typ, api.list_subject_grants(kind, subject, typ)) for typ, _s in TYPES)
    prompt_names = set(r["name"] for r in listings["prompt"]) if kind == "group" else set()
    grants = {}
    for typ, section in TYPES:
        rows = []
        for row in listings[typ]:
            if kind == "user" and row.get("kind") != "user":
                continue  # the user's listing shows effective levels of every resource; keep direct grants
            if typ == "registered_model" and row["name"] in prompt_names:
                continue  # a group's model listing also shows its prompt grants
            entry = {"name": row["name"], "permission": row["permission"]}
            if typ == "experiment":
                entry = dict(experiment_id=row["id"], **entry)
            rows.append(entry)
        grants[section] = sorted(rows, key=lambda r: r["name"])
    out = {"grants": grants}
    if module.params["include_patterns"]:
        out["patterns"] = dict((typ, [{"id": p["id"], "pattern": p["regex"], "priority": p["priority"],
                                       "permission": p["permission"]} for p in api.list_patterns(kind, subject, typ)])
                               for typ, _s in TYPES)
    return out


def main_logic(module):
    p = module.params
    api = module.api
    api.generation  # probe once
    if p["group"] is not None:
        if not api.group_exists(p["group"]):
            module.exit(exists=False, grants={}, patterns={})
        module.exit(exists=True, **subject_grants(module, "group", p["group"]))
    if p["user"] is not None:
        user = api.get_user(p["user"])
        if user is None:
            module.exit(exists=False, grants={}, patterns={})
        module.exit(exists=True, is_service_account=user["is_service_account"],
                    **subject_grants(module, "user", user["username"]))

    if p["experiment"] is not None or p["experiment_id"] is not None:
        exp = api.get_experiment_by_name(p["experiment"]) if p["experiment"] is not None else api.get_experiment(p["experiment_id"])
        resource = {"type": "experiment", "name": exp["name"], "experiment_id": exp["experiment_id"]} if exp else None
        key = exp and exp["experiment_id"]
    else:
        typ = "registered_model" if p["registered_model"] is not None else "prompt"
        model = api.get_registered_model(p[typ])
        resource = {"type": typ, "name": model["name"]} if model and model["is_prompt"] == (typ == "prompt") else None
        key = resource and resource["name"]
    if resource is None:
        module.exit(exists=False, resource={}, users=[], groups=[])
    users = api.list_resource_grants(resource["type"], key, "user")
    groups = [{"name": g["name"], "permission": g["permission"]} for g in api.list_resource_grants(resource["type"], key, "group")]
    module.exit(exists=True, resource=resource, users=sorted(users, key=lambda r: r["name"]),
                groups=sorted(groups, key=lambda r: r["name"]))


def main():
    module = MlflowModule(
        argument_spec=dict(
            group=dict(type="str"),
            user=dict(type="str"),
            experiment=dict(type="str"),
            experiment_id=dict(type="str"),
            registered_model=dict(type="str"),
            prompt=dict(type="str"),
            include_patterns=dict(type="bool", default=True),
        ),
        mutually_exclusive=[SUBJECTS + RESOURCES],
        required_one_of=[SUBJECTS + RESOURCES],
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
