# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base module: shared connection options, the one road to a write, check mode, diff, masking, results.

A module describes its resource and calls :meth:`MlflowModule.converge` with the state it found
(``before``), the state it wants (``after``) and a ``write`` callable. ``converge`` is the only place
that decides whether to write: it compares, records the diff, and runs ``write`` only outside check
mode. The HTTP client is also put in read-only mode under check mode, so a write that bypasses
``converge`` fails loudly instead of changing the server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import traceback

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.prokube.mlflow.plugins.module_utils._api import MlflowApi
from ansible_collections.prokube.mlflow.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    MlflowClient,
    MlflowError,
)

MASK = "********"
# Keys whose values are secrets wherever they appear in existing/end_state/diff.
SECRET_KEYS = frozenset(("token", "password", "access_token", "refresh_token", "id_token", "client_secret",
                         "current_token", "secret"))


def connection_argument_spec():
    """Connection options shared by every module (documented in doc fragment prokube.mlflow.connection)."""
    return dict(
        tracking_uri=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_URI"])),
        username=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_PASSWORD"])),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_TOKEN"])),
        oidc_discovery_url=dict(type="str", fallback=(env_fallback, ["MLFLOW_OIDC_DISCOVERY_URL"])),
        oidc_client_id=dict(type="str", fallback=(env_fallback, ["MLFLOW_OIDC_CLIENT_ID"])),
        oidc_client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_OIDC_CLIENT_SECRET"])),
        oidc_refresh_token=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_OIDC_REFRESH_TOKEN"])),
        validate_certs=dict(type="bool"),
        ca_path=dict(type="path", fallback=(env_fallback, ["MLFLOW_TRACKING_SERVER_CERT_PATH"])),
        client_cert=dict(type="path", fallback=(env_fallback, ["MLFLOW_TRACKING_CLIENT_CERT_PATH"])),
        client_key=dict(type="path"),
        timeout=dict(type="float", fallback=(env_fallback, ["MLFLOW_HTTP_REQUEST_TIMEOUT"])),
        retries=dict(type="int", fallback=(env_fallback, ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"])),
    )


def mask_secrets(value):
    """A deep copy of ``value`` with every secret-named key's value replaced by a mask."""
    if isinstance(value, dict):
        return dict((k, MASK if k in SECRET_KEYS and v not in (None, "") else mask_secrets(v)) for k, v in value.items())
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def desired_tags(current, tags, purge):
    """The tags a resource should have: ``current`` updated with ``tags`` (values as strings); with ``purge``,
    tags not listed are dropped, except system tags (``mlflow.*``). ``tags=None`` leaves them as they are."""
    if tags is None:
        return dict(current)
    tags = dict((k, "" if v is None else str(v)) for k, v in tags.items())
    result = dict((k, v) for k, v in current.items() if k.startswith("mlflow.") and k not in tags) if purge else dict(current)
    result.update(tags)
    return result


def sync_tags(before, after, set_tag, delete_tag):
    """Inside a ``write()``: set the tags that differ, delete the ones ``after`` no longer has."""
    for key, value in sorted(after.items()):
        if before.get(key) != value:
            set_tag(key, value)
    for key in sorted(set(before) - set(after)):
        delete_tag(key)


class MlflowModule(AnsibleModule):
    """AnsibleModule plus the MLflow connection, the write gate and the result shape.

    Results always carry ``changed``, ``api_generation`` (once the server was probed) and
    ``http_requests`` (requests this run sent to MLflow), and with ``--diff`` a ``diff``.
    """

    def __init__(self, argument_spec, **kwargs):
        spec = connection_argument_spec()
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        super(MlflowModule, self).__init__(argument_spec=spec, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
        self.changed = False
        self._before = {}
        self._after = {}
        self._client = None
        self._api = None

    # ------------------------------------------------------------------ connection
    def _validate_certs(self):
        value = self.params["validate_certs"]
        if value is None:
            import os
            insecure = os.environ.get("MLFLOW_TRACKING_INSECURE_TLS")
            try:
                value = not boolean(insecure) if insecure else True
            except TypeError:
                self.fail_json(msg="MLFLOW_TRACKING_INSECURE_TLS must be true or false, got %r" % insecure)
        return value

    @property
    def client(self):
        if self._client is None:
            p = self.params
            oidc = None
            if p["oidc_refresh_token"]:
                if not p["oidc_discovery_url"]:
                    raise MlflowError("oidc_refresh_token is set but oidc_discovery_url (MLFLOW_OIDC_DISCOVERY_URL) is not")
                oidc = dict(discovery_url=p["oidc_discovery_url"], client_id=p["oidc_client_id"],
                            client_secret=p["oidc_client_secret"], refresh_token=p["oidc_refresh_token"])
            if p["username"] and not p["password"] and not (p["token"] or oidc):
                raise MlflowError("username is set but password (MLFLOW_TRACKING_PASSWORD) is not")
            self._client = MlflowClient(
                p["tracking_uri"], username=p["username"], password=p["password"], token=p["token"], oidc=oidc,
                validate_certs=self._validate_certs(), ca_path=p["ca_path"], client_cert=p["client_cert"],
                client_key=p["client_key"], timeout=p["timeout"] if p["timeout"] else 30.0,
                retries=p["retries"] if p["retries"] is not None else 3, on_retry=self.warn)
            self._client.read_only = self.check_mode
        return self._client

    @property
    def api(self):
        if self._api is None:
            self._api = MlflowApi(self.client)
        return self._api

    # ------------------------------------------------------------------ the write gate
    def converge(self, before, after, write, key=None):
        """Compare ``before`` with ``after``; outside check mode run ``write()`` when they differ.

        ``before``/``after`` are plain data (``None`` means absent). ``key`` names this part of the
        diff when a module converges several parts. Returns the end state: what ``write`` returned,
        else ``after``. This is the only method that may cause a write.
        """
        changed = before != after
        end_state = after
        if changed:
            self.changed = True
            if not self.check_mode:
                out = write()
                if out is not None:
                    end_state = out
        if key is None:
            self._before, self._after = before, after
        else:
            self._before[key], self._after[key] = before, after
        return end_state

    # ------------------------------------------------------------------ results
    def _common(self):
        res = {"changed": self.changed}
        if self._client is not None:
            res["http_requests"] = self._client.request_count
        if self._api is not None and self._api._generation is not None:
            res["api_generation"] = self._api._generation.label
        if self._diff:
            res["diff"] = {"before": mask_secrets(copy.deepcopy(self._before)) if self._before is not None else {},
                           "after": mask_secrets(copy.deepcopy(self._after)) if self._after is not None else {}}
        return res

    def exit(self, **data):
        """Exit with the common keys plus ``data``; ``existing`` and ``end_state`` are masked.

        A module that returns a secret on purpose (``mlflow_token``'s minted ``token``) has an action
        plugin of the same name that censors the whole displayed result; ansible-core does not let a
        module do that itself. A ``register``-ed variable still holds the secret.
        """
        res = self._common()
        for key in ("existing", "end_state"):
            if key in data:
                data[key] = mask_secrets(data[key])
        res.update(data)
        self.exit_json(**res)

    def fail(self, msg, **data):
        res = self._common()
        res.pop("diff", None)
        res.update(mask_secrets(data))
        res["changed"] = False if not self.changed or self.check_mode else res["changed"]
        self.fail_json(msg=msg, **res)

    def run(self, main):
        """Call ``main(self)`` and turn every MlflowError into a one-line failure."""
        try:
            main(self)
        except MlflowError as exc:
            self.fail(str(exc))
        except Exception as exc:  # pragma: no cover - unexpected: keep the traceback for a bug report
            self.fail_json(msg="unexpected error: %s" % exc, exception=traceback.format_exc())
