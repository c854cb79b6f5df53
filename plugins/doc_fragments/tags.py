# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # tags/purge_tags of the experiment, registered model and prompt modules (one implementation:
    # desired_tags and sync_tags in module_utils/_module.py).
    DOCUMENTATION = r"""
options:
  tags:
    description:
      - Tags the resource must have. Values are converted to strings.
      - Tags not listed are kept unless O(purge_tags=true).
    type: dict
  purge_tags:
    description:
      - Remove tags that are not in O(tags). System tags (C(mlflow.*)) are never removed unless listed in O(tags).
      - Has no effect when O(tags) is not given.
    type: bool
    default: false
"""
