#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_prompt
short_description: Register MLflow prompts and their template versions
version_added: 0.1.0
description:
  - Makes sure an MLflow prompt exists with the given description and tags, and that its latest version carries
    O(template). A new version is registered only when the template differs from the latest version's.
  - The prompt is stored as MLflow 3 stores it (a registered model tagged C(mlflow.prompt.is_prompt=true), each
    version a model version carrying the template), so C(mlflow.genai.load_prompt) loads what this module wrote.
  - Grant access with O(prokube.mlflow.mlflow_group_permission#module:prompt) or
    O(prokube.mlflow.mlflow_user_permission#module:prompt).
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
  - prokube.mlflow.tags
options:
  name:
    description: Name of the prompt (letters, digits, C(_), C(-) and C(.)).
    type: str
    required: true
  template:
    description:
      - The template of the latest version. A string is a text prompt with double-brace placeholders (in a
        playbook keep Ansible from templating them, for example with C({% raw %}) or C(!unsafe)); a list of
        C(role)/C(content) messages is a chat prompt.
      - Required to create a prompt; when omitted on an existing prompt its versions are left alone.
    type: raw
  commit_message:
    description: Description of a new version, used only when one is registered.
    type: str
  description:
    description: The prompt's description. Left as it is when omitted.
    type: str
  state:
    description: V(present) creates or updates, V(absent) deletes the prompt with all its versions.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The team's summarization prompt
  prokube.mlflow.mlflow_prompt:
    name: alpha-summarize
    template: "Summarize in {{ '{{num_sentences}}' }} sentences: {{ '{{sentences}}' }}"
    commit_message: shorter output
    description: Summaries for the alpha dashboard
    tags:
      team: ds-team-alpha
  register: prompt

- name: Its latest version
  ansible.builtin.debug:
    msg: "version {{ prompt.latest_version.version }}"
"""

RETURN = r"""
prompt:
  description: The prompt after the task (predicted in check mode); empty when it is absent.
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
      description: Its tags (without the C(mlflow.prompt.is_prompt) marker).
      type: dict
latest_version:
  description: The prompt's latest version after the task (predicted in check mode); empty when there is none.
  returned: always
  type: dict
  contains:
    version:
      description: Version number.
      type: int
    template:
      description: The template (a string, or a list of messages for a chat prompt).
      type: raw
    prompt_type:
      description: V(text) or V(chat).
      type: str
    commit_message:
      description: The version's description.
      type: str
  sample:
    version: 2
    template: "Summarize in {{num_sentences}} sentences: {{sentences}}"
    prompt_type: text
    commit_message: shorter output
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

import json
import re

from ansible.module_utils.six import string_types

from ansible_collections.prokube.mlflow.plugins.module_utils._api import PROMPT_TAG
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule, desired_tags, sync_tags

NAME_RULE = re.compile(r"^[a-zA-Z0-9_.-]+$")
VERSION_KEYS = ("version", "template", "prompt_type", "commit_message")


def prompt_view(model):
    if not model:
        return None
    return {"name": model["name"], "description": model["description"],
            "tags": dict((k, v) for k, v in model["tags"].items() if k != PROMPT_TAG)}


def version_view(version):
    return dict((k, version[k]) for k in VERSION_KEYS) if version else None


def normalize_template(template):
    """A string (text prompt) or a list of {role, content} messages (chat prompt)."""
    if template is None or isinstance(template, string_types):
        return template
    if isinstance(template, list) and all(isinstance(m, dict) and "role" in m and "content" in m for m in template):
        return [dict((str(k), v) for k, v in m.items()) for m in template]
    raise MlflowError("template must be a string or a list of messages with role and content")


def same_template(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def main_logic(module):
    p = module.params
    api = module.api
    name = p["name"]
    template = normalize_template(p["template"])
    if not NAME_RULE.match(name):
        raise MlflowError("prompt name %r is not valid: use letters, digits, '_', '-' and '.'" % name)
    if p["tags"] and PROMPT_TAG in p["tags"]:
        raise MlflowError("tag %s is managed by the module" % PROMPT_TAG)
    api.generation  # probe once: proves the credentials and reports the generation
    found = api.get_registered_model(name)
    if found is not None and not found["is_prompt"]:
        raise MlflowError("%r is a registered model, not a prompt: MLflow keeps both in one name space; "
                          "manage it with prokube.mlflow.mlflow_registered_model or choose another name" % name)
    latest = api.get_latest_prompt_version(name) if found else None
    before = {"prompt": prompt_view(found), "latest_version": version_view(latest)} if found else None

    if p["state"] == "absent":
        end = module.converge(before, None, lambda: api.delete_registered_model(name))
        module.exit(prompt={}, latest_version={})

    if found is None and template is None:
        raise MlflowError("template is required to create prompt %r" % name)
    cur_prompt = (before or {}).get("prompt") or {"name": name, "description": "", "tags": {}}
    want_prompt = dict(cur_prompt, tags=desired_tags(cur_prompt["tags"], p["tags"], p["purge_tags"] and found is not None))
    if p["description"] is not None:
        want_prompt["description"] = p["description"]
    cur_version = (before or {}).get("latest_version")
    want_version = cur_version
    new_version = template is not None and (cur_version is None or not same_template(cur_version["template"], template))
    if new_version:
        want_version = {"version": (cur_version["version"] + 1) if cur_version else 1, "template": template,
                        "prompt_type": "text" if isinstance(template, string_types) else "chat",
                        "commit_message": p["commit_message"] or ""}
    after = {"prompt": want_prompt, "latest_version": want_version}

    def write():
        if found is None:
            api.create_registered_model(name, want_prompt["description"], want_prompt["tags"], prompt=True)
        else:
            if want_prompt["description"] != cur_prompt["description"]:
                api.update_registered_model(name, want_prompt["description"])
            sync_tags(cur_prompt["tags"], want_prompt["tags"], lambda k, v: api.set_registered_model_tag(name, k, v),
                      lambda k: api.delete_registered_model_tag(name, k))
        version = api.create_prompt_version(name, template, p["commit_message"]) if new_version else latest
        return {"prompt": prompt_view(api.get_registered_model(name)), "latest_version": version_view(version)}

    end = module.converge(before, after, write)
    module.exit(prompt=end["prompt"], latest_version=end["latest_version"] or {})


def main():
    module = MlflowModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            template=dict(type="raw"),
            commit_message=dict(type="str"),
            description=dict(type="str"),
            tags=dict(type="dict"),
            purge_tags=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
