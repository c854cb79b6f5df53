# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the server calls things: MLflow's and mlflow-oidc-auth's routes, per API generation.

``GENERATIONS`` is the one table of what differs between plugin versions (paths and quirks);
:func:`detect_generation` picks the row by probing once per module run. :class:`MlflowApi` offers one
method per server operation and returns plain dicts; modules use it and never build paths themselves.
Nothing here knows about check mode: writes go through the client, which refuses them when read-only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError, seg

MLFLOW = "/api/2.0/mlflow"
PERMISSIONS = MLFLOW + "/permissions"
LEVELS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")


class Generation(object):
    """One API generation of mlflow-oidc-auth: its name, route table and quirks."""

    def __init__(self, name, label, paths, **quirks):
        self.name = name
        self.label = label
        self.paths = paths
        self.levels = quirks.pop("levels", LEVELS)
        self.can_create_groups = quirks.pop("can_create_groups", True)
        self.named_tokens = quirks.pop("named_tokens", False)
        self.mint_needs_sign_in = quirks.pop("mint_needs_sign_in", False)
        self.duplicate_status = quirks.pop("duplicate_status", 409)
        self.delete_user_needs_revoke = quirks.pop("delete_user_needs_revoke", False)
        self.list_kind_key = quirks.pop("list_kind_key", "kind")
        self.list_name_key = quirks.pop("list_name_key", "name")
        if quirks:
            raise TypeError("unknown quirks %s" % sorted(quirks))

    def path(self, key, **values):
        template = self.paths.get(key)
        if template is None:
            raise MlflowError("this server (mlflow-oidc-auth %s) has no API for %s" % (self.label, key.replace("_", " ")))
        return template.format(**dict((k, seg(v)) for k, v in values.items()))


# Routes that moved between generations. Everything else (MLflow's own routes, grants, patterns,
# per-resource listings) is the same on every generation and spelled inline in MlflowApi.
_V6_USERS = {
    "current_user": MLFLOW + "/users/current",
    "users": MLFLOW + "/users",                       # GET list (?service=true), POST create/upsert
    "user": MLFLOW + "/users/{username}",             # GET one
    "user_delete": MLFLOW + "/users",                 # DELETE with JSON body {"username"}
    "user_active": MLFLOW + "/users/{username}/active",
    "access_token": MLFLOW + "/users/access-token",   # PATCH: (re)mint the token named "default"
    "groups_create": PERMISSIONS + "/groups",
}
GENERATIONS = {
    "5": Generation("5", "5.x", {
        "current_user": PERMISSIONS + "/users/current",
        "users": PERMISSIONS + "/users",
        "user_create": MLFLOW + "/users/create",
        "user_get": MLFLOW + "/users/get",
        "user_delete": MLFLOW + "/users/delete",
        "access_token": PERMISSIONS + "/users/access-token",
    }, levels=("READ", "EDIT", "MANAGE", "NO_PERMISSIONS"), can_create_groups=False, duplicate_status=400,
        delete_user_needs_revoke=True, list_kind_key="type", list_name_key="username"),
    "6": Generation("6", "6.0-7.x", dict(_V6_USERS)),
    "8": Generation("8", "8.0+", dict(_V6_USERS, **{
        "tokens": MLFLOW + "/users/{username}/tokens",
        "token": MLFLOW + "/users/{username}/tokens/{token_id}",
        "current_tokens": MLFLOW + "/users/current/tokens",
    }), named_tokens=True, mint_needs_sign_in=True),
}


def detect_generation(client):
    """Probe the server once: the newest generation whose marker route exists wins.

    ``/users/current/tokens`` exists from 8.0, ``/users/current`` from 6.0, and 5.x has
    ``/permissions/users/current``. The probe also proves the credentials (401 is raised here).
    """
    for name, path in (("8", MLFLOW + "/users/current/tokens"), ("6", MLFLOW + "/users/current")):
        try:
            client.get(path)
            return GENERATIONS[name]
        except MlflowApiError as exc:
            if not exc.missing_route:
                raise
    try:
        client.get(PERMISSIONS + "/users/current")
    except MlflowApiError as exc:
        if exc.missing_route:
            raise MlflowError("%s does not look like an MLflow server with the mlflow-oidc-auth plugin: none of its "
                              "user routes exist (was it started with --app-name oidc-auth?)" % client.base_url)
        raise
    return GENERATIONS["5"]


def tags_to_dict(tags):
    return dict((t["key"], t.get("value", "")) for t in tags or [])


def dict_to_tags(tags):
    return [{"key": k, "value": "" if v is None else str(v)} for k, v in sorted((tags or {}).items())]


class MlflowApi(object):
    """One method per server operation. Reads return plain dicts or ``None`` when absent."""

    def __init__(self, client, generation=None):
        self.client = client
        self._generation = generation

    @property
    def generation(self):
        if self._generation is None:
            self._generation = detect_generation(self.client)
        return self._generation

    # ------------------------------------------------------------------ experiments (MLflow)
    @staticmethod
    def _experiment(raw):
        return {
            "experiment_id": raw["experiment_id"],
            "name": raw["name"],
            "lifecycle_stage": raw.get("lifecycle_stage", "active"),
            "artifact_location": raw.get("artifact_location"),
            "tags": tags_to_dict(raw.get("tags")),
            "creation_time": raw.get("creation_time"),
            "last_update_time": raw.get("last_update_time"),
        }

    def get_experiment_by_name(self, name):
        """The experiment of that name, active or soft-deleted, or None."""
        try:
            data = self.client.get(MLFLOW + "/experiments/get-by-name", params={"experiment_name": name})
        except MlflowApiError as exc:
            if exc.not_found:
                return None
            raise
        return self._experiment(data["experiment"])

    def get_experiment(self, experiment_id):
        try:
            data = self.client.get(MLFLOW + "/experiments/get", params={"experiment_id": str(experiment_id)})
        except MlflowApiError as exc:
            if exc.not_found or exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise
        return self._experiment(data["experiment"])

    def search_experiments(self, filter_string=None, view_type="ACTIVE_ONLY", order_by=None):
        params = {"view_type": view_type}
        if filter_string:
            params["filter"] = filter_string
        if order_by:
            params["order_by"] = order_by
        raw = self.client.paginate_token(MLFLOW + "/experiments/search", "experiments", params=params)
        return [self._experiment(e) for e in raw]

    def create_experiment(self, name, artifact_location=None, tags=None):
        body = {"name": name}
        if artifact_location:
            body["artifact_location"] = artifact_location
        if tags:
            body["tags"] = dict_to_tags(tags)
        return self.client.post(MLFLOW + "/experiments/create", body)["experiment_id"]

    def delete_experiment(self, experiment_id):
        self.client.post(MLFLOW + "/experiments/delete", {"experiment_id": str(experiment_id)})

    def restore_experiment(self, experiment_id):
        self.client.post(MLFLOW + "/experiments/restore", {"experiment_id": str(experiment_id)})

    def set_experiment_tag(self, experiment_id, key, value):
        self.client.post(MLFLOW + "/experiments/set-experiment-tag",
                         {"experiment_id": str(experiment_id), "key": key, "value": "" if value is None else str(value)})

    def delete_experiment_tag(self, experiment_id, key):
        self.client.post(MLFLOW + "/experiments/delete-experiment-tag", {"experiment_id": str(experiment_id), "key": key})

    # ------------------------------------------------------------------ registered models and prompts (MLflow)

    # ------------------------------------------------------------------ users, service accounts, tokens (plugin)

    # ------------------------------------------------------------------ groups (plugin)

    # ------------------------------------------------------------------ grants (plugin)

    # ------------------------------------------------------------------ trash / garbage collection (plugin)
