# -*- coding: utf-8 -*-
# Test-only callback: appends each task result as one JSON line to $PROKUBE_RESULTS_FILE, so pytest can
# assert on `changed`, messages and return values while the normal stdout callback still prints.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: results_recorder
type: notification
short_description: Record task results as JSON lines for the integration tests
description: Writes every task result to the file named by the PROKUBE_RESULTS_FILE environment variable.
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "results_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("PROKUBE_RESULTS_FILE")
        if not path:
            return
        data = result._result if hasattr(result, "_result") else getattr(result, "result", {})
        task = result._task if hasattr(result, "_task") else result.task
        host = result._host if hasattr(result, "_host") else result.host
        line = {"task": task.get_name(), "host": host.get_name(), "status": status}
        try:
            line["result"] = json.loads(json.dumps(data, default=str))
        except Exception:  # pragma: no cover
            line["result"] = {"unserialisable": str(data)}
        with open(path, "a") as fh:
            fh.write(json.dumps(line) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
