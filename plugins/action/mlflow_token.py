# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the mlflow_token module and hides its whole result from output and logs when it carries a minted token.

ansible-core strips ``_ansible_no_log`` from what a module returns ("Removed unexpected internal key"), so a
module cannot censor its own result; an action plugin can. A registered variable still holds the token.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        result.update(self._execute_module(module_args=self._task.args, task_vars=task_vars))
        if result.get("token"):
            result["_ansible_no_log"] = True
        return result
