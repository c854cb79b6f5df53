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

import json
from datetime import datetime
from email.utils import parsedate_to_datetime

try:
    from datetime import timezone
    UTC = timezone.utc
except ImportError:  # pragma: no cover - Python 2 only
    UTC = None

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError, seg

MLFLOW = "/api/2.0/mlflow"
PERMISSIONS = MLFLOW + "/permissions"
LEVELS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")
# MLflow 3 stores a prompt as a registered model with this tag, its versions as model versions whose
# tags carry the template (mlflow/prompt/constants.py); the source is MLflow's own placeholder.
PROMPT_TAG = "mlflow.prompt.is_prompt"
PROMPT_TEXT_TAG = "mlflow.prompt.text"
PROMPT_TYPE_TAG = "_mlflow_prompt_type"
PROMPT_SOURCE = "prompt-template"
PROMPT_VERSION_SYSTEM_TAGS = frozenset((PROMPT_TAG, PROMPT_TEXT_TAG, PROMPT_TYPE_TAG))


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
        # 5.x: the token IS the account's password (one per user, expiry readable as the user's password_expiration)
        self.token_is_password = quirks.pop("token_is_password", False)
        # 5.x: plain lists (limit/offset ignored), no /permissions/{type}/{key}/groups listing, no trash API,
        # group names with "/" cannot be addressed (the server decodes %2F before routing)
        self.paged_lists = quirks.pop("paged_lists", True)
        self.resource_group_listing = quirks.pop("resource_group_listing", True)
        self.trash_api = quirks.pop("trash_api", True)
        self.slash_in_group_names = quirks.pop("slash_in_group_names", True)
        if quirks:
            raise TypeError("unknown quirks %s" % sorted(quirks))

    def has(self, key):
        """Whether this generation has the route ``key`` at all."""
        return self.paths.get(key) is not None

    def path(self, key, **values):
        template = self.paths.get(key)
        if template is None:
            raise MlflowError("this server (mlflow-oidc-auth %s) has no API for %s" % (self.label, key.replace("_", " ")))
        return template.format(**dict((k, seg(v)) for k, v in values.items()))


# Routes that moved between generations. Everything else (MLflow's own routes, grants, patterns,
# per-resource listings) is the same on every generation and spelled inline in MlflowApi.
_V6_USERS = {
    "current_user": MLFLOW + "/users/current",
    "users": MLFLOW + "/users",                       # GET list (?service=true)
    "user_create": MLFLOW + "/users",                 # POST create/upsert
    "user_details": MLFLOW + "/users/details",        # GET admin listing (objects with active, managed_by)
    "user": MLFLOW + "/users/{username}",             # GET one
    "user_delete": MLFLOW + "/users",                 # DELETE with JSON body {"username"}
    "user_active": MLFLOW + "/users/{username}/active",
    "access_token": MLFLOW + "/users/access-token",   # PATCH: (re)mint the token named "default"
    "groups_create": PERMISSIONS + "/groups",
}
GENERATIONS = {
    # The admin guide's API (5.x, Flask). Verified against 5.7.0: GET users/get answers {"user": {...,
    # "password_expiration"}}; users/create is the same upsert of both flags as 6.0+ (and the only working way to
    # set is_admin: PATCH users/update-admin changes the CALLER's flag, so it is never used); access-token needs an
    # expiration with a timezone (500 without) and works with basic auth; no user details, no (de)activation.
    "5": Generation("5", "5.x", {
        "current_user": PERMISSIONS + "/users/current",
        "users": PERMISSIONS + "/users",
        "user_create": MLFLOW + "/users/create",
        "user": MLFLOW + "/users/get?username={username}",
        "user_delete": MLFLOW + "/users/delete",
        "access_token": PERMISSIONS + "/users/access-token",
    }, levels=("READ", "EDIT", "MANAGE", "NO_PERMISSIONS"), can_create_groups=False, duplicate_status=400,
        delete_user_needs_revoke=True, list_kind_key="type", list_name_key="username", token_is_password=True,
        paged_lists=False, resource_group_listing=False, trash_api=False, slash_in_group_names=False),
    # 6.0-7.x (from the released wheels, not run live here). Its one token per user is probably readable like 5.x's
    # (password_expiration) but that is unverified, so tokens are refused there (token_is_password stays off).
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


def http_date_to_iso(value):
    """A server timestamp as ISO 8601 UTC with ``Z``: 5.x's Flask answers ``Fri, 01 Jan 2027 00:00:00 GMT``,
    later ones ISO 8601 (with an offset, or none meaning UTC). None stays None; an unreadable value is kept."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        moment = parsedate_to_datetime(text) if "," in text else None
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    @staticmethod
    def _registered_model(raw):
        tags = tags_to_dict(raw.get("tags"))
        return {
            "name": raw["name"],
            "description": raw.get("description") or "",
            "tags": tags,
            "is_prompt": tags.get(PROMPT_TAG) == "true",
            "creation_timestamp": raw.get("creation_timestamp"),
            "last_updated_timestamp": raw.get("last_updated_timestamp"),
        }

    def get_registered_model(self, name):
        """The registered model (or prompt: ``is_prompt``) of that name, or None."""
        try:
            data = self.client.get(MLFLOW + "/registered-models/get", params={"name": name})
        except MlflowApiError as exc:
            if exc.not_found or exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return self._registered_model(data["registered_model"])

    def create_registered_model(self, name, description=None, tags=None, prompt=False):
        tags = dict(tags or {})
        if prompt:
            tags[PROMPT_TAG] = "true"
        body = {"name": name, "tags": dict_to_tags(tags)}
        if description:
            body["description"] = description
        return self._registered_model(self.client.post(MLFLOW + "/registered-models/create", body)["registered_model"])

    def update_registered_model(self, name, description):
        self.client.patch(MLFLOW + "/registered-models/update", {"name": name, "description": description or ""})

    def delete_registered_model(self, name):
        self.client.delete(MLFLOW + "/registered-models/delete", {"name": name})

    def set_registered_model_tag(self, name, key, value):
        self.client.post(MLFLOW + "/registered-models/set-tag", {"name": name, "key": key, "value": "" if value is None else str(value)})

    def delete_registered_model_tag(self, name, key):
        self.client.delete(MLFLOW + "/registered-models/delete-tag", {"name": name, "key": key})

    @staticmethod
    def _prompt_version(raw):
        tags = tags_to_dict(raw.get("tags"))
        text = tags.get(PROMPT_TEXT_TAG)
        template = text
        if tags.get(PROMPT_TYPE_TAG) == "chat" and text is not None:
            try:
                template = json.loads(text)
            except ValueError:
                template = text
        return {
            "name": raw["name"],
            "version": int(raw["version"]),
            "template": template,
            "prompt_type": tags.get(PROMPT_TYPE_TAG, "text"),
            "commit_message": raw.get("description") or "",
            "tags": dict((k, v) for k, v in tags.items() if k not in PROMPT_VERSION_SYSTEM_TAGS),
            "creation_timestamp": raw.get("creation_timestamp"),
        }

    def get_latest_prompt_version(self, name):
        """The prompt's highest version (as ``mlflow.genai.load_prompt(name)`` sees it), or None."""
        data = self.client.get(MLFLOW + "/model-versions/search", params={
            # MLflow hides prompt versions from a version search unless the filter asks for them.
            "filter": "name = '%s' AND tags.`%s` = 'true'" % (name.replace("'", "\\'"), PROMPT_TAG),
            "order_by": "version_number DESC", "max_results": 1}) or {}
        versions = data.get("model_versions") or []
        return self._prompt_version(versions[0]) if versions else None

    def create_prompt_version(self, name, template, commit_message=None):
        """Register a new prompt version the way MLflow's own client does (source placeholder, prompt tags)."""
        chat = not isinstance(template, str)
        tags = {PROMPT_TAG: "true", PROMPT_TEXT_TAG: json.dumps(template) if chat else template,
                PROMPT_TYPE_TAG: "chat" if chat else "text"}
        body = {"name": name, "source": PROMPT_SOURCE, "tags": dict_to_tags(tags)}
        if commit_message:
            body["description"] = commit_message
        return self._prompt_version(self.client.post(MLFLOW + "/model-versions/create", body)["model_version"])

    # ------------------------------------------------------------------ users, service accounts, tokens (plugin)
    @staticmethod
    def _user(raw):
        if isinstance(raw, dict) and isinstance(raw.get("user"), dict):
            raw = raw["user"]  # 5.x wraps GET users/get in {"user": ...}
        user = {
            "username": raw["username"],
            "display_name": raw.get("display_name"),
            "is_admin": bool(raw.get("is_admin")),
            "is_service_account": bool(raw.get("is_service_account")),
            "groups": sorted(g["group_name"] if isinstance(g, dict) else str(g) for g in raw.get("groups") or []),
        }
        if "password_expiration" in raw:  # 5.x-7.x: the expiry of the user's one token (null: none set)
            user["token_expires_at"] = http_date_to_iso(raw["password_expiration"])
        return user

    def get_user(self, username):
        """One user or service account (flags and group names), or None. Usernames are lower-cased."""
        try:
            raw = self.client.get(self.generation.path("user", username=username.lower()))
        except MlflowApiError as exc:
            if exc.not_found:
                return None
            raise
        return self._user(raw)

    def get_user_detail(self, username):
        """The admin listing's row of one user ({username, display_name, is_admin, is_service_account, active,
        managed_by, service_account_source}), or None (also on servers without that listing, 5.x).
        One request: ``search`` narrows, the exact match is kept."""
        if not self.generation.has("user_details"):
            return None
        username = username.lower()
        rows = self.client.get(self.generation.path("user_details"), params={"search": username}) or []
        for row in rows:
            if row.get("username", "").lower() == username:
                return row
        return None

    def _list(self, path, params=None):
        """A plugin list: followed page by page where the server pages, one plain GET where it does not (5.x ignores
        limit/offset, so paging would repeat its one page)."""
        if self.generation.paged_lists:
            return self.client.paginate_offset(path, params=params)
        return list(self.client.get(path, params=params) or [])

    def list_users(self, service=None):
        """Every user as an admin-listing row, following pages. ``service``: True/False filters, None both."""
        params = {} if service is None else {"service": "true" if service else "false"}
        if self.generation.has("user_details"):
            try:
                return self.client.paginate_offset(self.generation.path("user_details"), params=params)
            except MlflowApiError as exc:
                if not exc.missing_route:
                    raise
        # Without /users/details: the name lists, then one read per user. Never send service=false: 5.x reads
        # any non-empty value as true.
        names = []
        for svc in ((False, True) if service is None else (service,)):
            names.extend(self.client.get(self.generation.path("users"), params={"service": "true"} if svc else None) or [])
        rows = []
        for name in names:
            user = self.get_user(name)
            if user is not None:
                rows.append(dict((k, user[k]) for k in ("username", "display_name", "is_admin", "is_service_account")))
        return rows

    def create_user(self, username, display_name, is_admin, is_service_account):
        """``POST /users``: creates, or for an existing user OVERWRITES both flags (so always send both)."""
        body = {"username": username.lower(), "display_name": display_name,
                "is_admin": bool(is_admin), "is_service_account": bool(is_service_account)}
        return self.client.post(self.generation.path("user_create"), body)

    def revoke_user_grants(self, username):
        """Remove every direct grant and pattern grant of a user (5.x refuses to delete a user who holds any:
        400). Returns how many were removed."""
        removed = 0
        for typ in ("experiment", "registered_model", "prompt"):
            for row in self.list_subject_grants("user", username, typ):
                if row.get("kind") == "user":
                    key = row.get("id") if typ == "experiment" else row["name"]
                    removed += bool(self.delete_grant("user", username, typ, key))
            for pat in self.list_patterns("user", username, typ):
                self.delete_pattern("user", username, typ, pat["id"])
                removed += 1
        return removed

    def delete_user(self, username):
        """Delete a user; False when it did not exist. 409 (last active administrator, ownership) is one clear line.
        Where the server refuses to delete a user who holds grants (5.x), they are revoked first."""
        if self.generation.delete_user_needs_revoke:
            if self.get_user(username) is None:
                return False
            self.revoke_user_grants(username.lower())
        try:
            self.client.delete(self.generation.path("user_delete"), body={"username": username.lower()})
        except MlflowApiError as exc:
            if exc.not_found:
                return False
            if exc.status == 409:
                hint = ""
                if "admin" in (exc.detail or "").lower():
                    hint = " The server keeps at least one active administrator: make another user an administrator first."
                raise MlflowError("cannot delete user %s: the server refused (409: %s).%s" % (username, exc.detail, hint))
            raise
        return True

    def set_user_active(self, username, active):
        """``PATCH /users/{u}/active``: deactivating revokes sessions and tokens and keeps grants."""
        self.require_user_active()
        try:
            return self.client.patch(self.generation.path("user_active", username=username.lower()), {"active": bool(active)})
        except MlflowApiError as exc:
            if exc.status == 409:
                raise MlflowError("cannot %s user %s: the server refused (409: %s)"
                                  % ("activate" if active else "deactivate", username, exc.detail))
            raise

    def current_user(self):
        """Who the client's credentials authenticate as (``GET /users/current``)."""
        return self._user(self.client.get(self.generation.path("current_user")))

    def require_user_active(self):
        """One line where the server cannot (de)activate an account (5.x)."""
        if not self.generation.has("user_active"):
            raise MlflowError("this server (mlflow-oidc-auth %s) cannot deactivate or reactivate an account (6.0 and "
                              "later can): drop the active option, or delete the account" % self.generation.label)

    def _need_named_tokens(self, name=None):
        if not self.generation.named_tokens:
            if self.generation.token_is_password:
                raise MlflowError("named tokens (here %r) need mlflow-oidc-auth 8.0 or later: this server (%s) keeps one "
                                  "token per user, which is its password; use name: default" % (name or "?", self.generation.label))
            raise MlflowError("access tokens with a readable name and expiry need mlflow-oidc-auth 8.0 or later; this "
                              "server is %s" % self.generation.label)

    def require_token_support(self, name, state):
        """Fail in one line, before anything is written, for what this generation's tokens cannot do."""
        if self.generation.named_tokens:
            return
        if name != "default":
            self._need_named_tokens(name)
        if state == "absent":
            raise MlflowError("this server (mlflow-oidc-auth %s) cannot revoke a token: a user's one token is its "
                              "password. Rotate it (rotate: always; the old one stops working at once) or delete the "
                              "account" % self.generation.label)
        if not self.generation.token_is_password:
            self._need_named_tokens(name)

    @staticmethod
    def password_token(user):
        """5.x: the one token of a user as token metadata, or None while it has no expiry (the random password an
        account is created with, never shown, or one set without expiry: neither is a token anyone holds here)."""
        if user is None or not user.get("token_expires_at"):
            return None
        return {"id": None, "name": "default", "token_prefix": None, "expires_at": user["token_expires_at"], "active": True}

    def user_tokens(self, user):
        """The tokens of a user read with :meth:`get_user` (5.x: derived from it, no request)."""
        if self.generation.token_is_password:
            token = self.password_token(user)
            return [token] if token else []
        if not self.generation.named_tokens:
            return []
        return self.list_tokens(user["username"]) or []

    def list_tokens(self, username):
        """A user's tokens (metadata only, never the secret), or None when the user does not exist."""
        if self.generation.token_is_password:
            user = self.get_user(username)
            return None if user is None else self.user_tokens(user)
        self._need_named_tokens()
        try:
            data = self.client.get(self.generation.path("tokens", username=username.lower()))
        except MlflowApiError as exc:
            if exc.not_found:
                return None
            raise
        return list((data or {}).get("tokens") or [])

    def create_token(self, username, name, expiration):
        """Mint a named token (``expiration`` ISO 8601 with Z): returns the token record plus ``token``."""
        self._need_named_tokens(name)
        return self.client.post(self.generation.path("tokens", username=username.lower()),
                                {"name": name, "expiration": expiration})

    def rotate_default_token(self, username, expiration):
        """Replace the token named ``default`` atomically: returns ``{"token", "expires_at", "message"}``."""
        return self.client.patch(self.generation.path("access_token"),
                                 {"username": username.lower(), "expiration": expiration})

    def delete_token(self, username, token_id):
        """Revoke one token; False when it was already gone."""
        self._need_named_tokens()
        try:
            self.client.delete(self.generation.path("token", username=username.lower(), token_id=token_id))
        except MlflowApiError as exc:
            if exc.not_found:
                return False
            raise
        return True

    # ------------------------------------------------------------------ groups (plugin)
    def list_groups(self, search=None):
        """Group names (``GET /permissions/groups``, a bare list of strings), following pages."""
        params = {"search": search} if search and self.generation.paged_lists else None
        return [str(g) for g in self._list(PERMISSIONS + "/groups", params=params)]

    def group_exists(self, name):
        """Whether a group of exactly this name exists (one request: ``search`` narrows, exact match decides)."""
        return name in self.list_groups(search=name if len(name) <= 256 else None)

    def missing_group_message(self, name):
        """Why group ``name`` is missing and what to do, for this generation (one line)."""
        if self.generation.can_create_groups:
            return "group %r does not exist on this server: create it first with prokube.mlflow.mlflow_group" % name
        return ("group %r does not exist, and this server (mlflow-oidc-auth %s) cannot create groups through its API: "
                "a group appears when one of its members first signs in (from the identity provider's groups claim); "
                "sign in once as a member, or upgrade to 7.21+ which creates groups ahead" % (name, self.generation.label))

    def create_group(self, name):
        """``POST /permissions/groups``: idempotent (201 created / 200 already there)."""
        if not self.generation.can_create_groups:
            raise MlflowError(self.missing_group_message(name))
        try:
            return self.client.post(self.generation.path("groups_create"), {"group_name": name})
        except MlflowApiError as exc:
            if exc.missing_route:
                raise MlflowError("this server (mlflow-oidc-auth %s) has no route to create groups (added in 7.21): "
                                  "a group appears when a member first signs in" % self.generation.label)
            raise

    # ------------------------------------------------------------------ grants (plugin)
    # Resource types as the grant routes spell them; the subject is a user or a group.
    GRANT_ROUTES = {"experiment": "experiments", "registered_model": "registered-models", "prompt": "prompts"}
    PATTERN_ROUTES = {"experiment": "experiment-patterns", "registered_model": "registered-models-patterns",
                      "prompt": "prompts-patterns"}

    def _subject_path(self, subject_kind, subject):
        if subject_kind != "user" and "/" in subject and not self.generation.slash_in_group_names:
            raise MlflowError("group %r cannot be addressed on this server (mlflow-oidc-auth %s decodes %%2F before "
                              "routing, so no grant route reaches a group whose name contains '/'): rename the group in "
                              "the identity provider" % (subject, self.generation.label))
        return PERMISSIONS + ("/users/%s" if subject_kind == "user" else "/groups/%s") % seg(subject)

    def list_subject_grants(self, subject_kind, subject, resource_type):
        """One subject's grant listing of one resource type: ``[{id?, name, permission, kind}]``.

        For a group these are its grant rows. For a user the server lists EVERY resource the caller
        may see with the user's effective permission and where it comes from (``kind``: ``user`` is a
        direct grant; ``group``, ``regex``, ``fallback`` ... are not).
        """
        gen = self.generation
        path = "%s/%s" % (self._subject_path(subject_kind, subject), self.GRANT_ROUTES[resource_type])
        try:
            raw = self.client.get(path) or []
        except MlflowApiError as exc:
            if subject_kind == "group" and exc.status == 500:
                exc.hint = ("The plugin fails to list a group's grants when the group does not exist or one of its "
                            "grants names a resource that no longer exists")
                raise MlflowApiError(exc.method, exc.path, exc.status, exc.error_code, exc.detail, exc.html, exc.hint)
            raise
        items = []
        for item in raw:
            row = {"name": item.get("name"), "permission": item.get("permission"),
                   "kind": item.get(gen.list_kind_key, subject_kind)}
            if "id" in item:
                row["id"] = str(item["id"])
            items.append(row)
        return items

    def _grant_path(self, subject_kind, subject, resource_type, key):
        return "%s/%s/%s" % (self._subject_path(subject_kind, subject), self.GRANT_ROUTES[resource_type], seg(key))

    def get_user_grant(self, username, resource_type, key):
        """A user's direct grant level on one resource (experiment id or model/prompt name), or None."""
        try:
            data = self.client.get(self._grant_path("user", username, resource_type, key)) or {}
        except MlflowApiError as exc:
            if exc.not_found:
                return None
            raise
        for value in data.values():
            if isinstance(value, dict) and "permission" in value:
                return value["permission"]
        return data.get("permission")

    def create_grant(self, subject_kind, subject, resource_type, key, permission):
        """POST a grant. Returns False (and writes nothing) when the server says it already exists."""
        dup = self.generation.duplicate_status
        try:
            self.client.post(self._grant_path(subject_kind, subject, resource_type, key), {"permission": permission})
        except MlflowApiError as exc:
            if exc.status == dup and not exc.html:
                return False
            raise
        return True

    def update_grant(self, subject_kind, subject, resource_type, key, permission):
        self.client.patch(self._grant_path(subject_kind, subject, resource_type, key), {"permission": permission})

    def delete_grant(self, subject_kind, subject, resource_type, key):
        """DELETE a grant; True when one was removed, False when there was none."""
        try:
            self.client.delete(self._grant_path(subject_kind, subject, resource_type, key))
        except MlflowApiError as exc:
            if exc.not_found:
                return False
            raise
        return True

    def list_patterns(self, subject_kind, subject, resource_type):
        """A subject's regex grants of one resource type: ``[{id, regex, priority, permission}]`` (ids as strings)."""
        path = "%s/%s" % (self._subject_path(subject_kind, subject), self.PATTERN_ROUTES[resource_type])
        data = self.client.get(path) or []
        if isinstance(data, dict):  # 5.x lists a group's prompt patterns, when there are none, as {"error": "No permissions found"}
            if "No permissions" not in str(data.get("error")):
                raise MlflowError("GET %s answered %s instead of a list" % (path, data))
            data = []
        return [{"id": str(p["id"]), "regex": p["regex"], "priority": int(p["priority"]), "permission": p["permission"]}
                for p in data]

    def create_pattern(self, subject_kind, subject, resource_type, regex, priority, permission):
        path = "%s/%s" % (self._subject_path(subject_kind, subject), self.PATTERN_ROUTES[resource_type])
        self.client.post(path, {"regex": regex, "priority": int(priority), "permission": permission})

    def update_pattern(self, subject_kind, subject, resource_type, pattern_id, regex, priority, permission):
        path = "%s/%s/%s" % (self._subject_path(subject_kind, subject), self.PATTERN_ROUTES[resource_type], seg(pattern_id))
        self.client.patch(path, {"regex": regex, "priority": int(priority), "permission": permission})

    def delete_pattern(self, subject_kind, subject, resource_type, pattern_id):
        path = "%s/%s/%s" % (self._subject_path(subject_kind, subject), self.PATTERN_ROUTES[resource_type], seg(pattern_id))
        self.client.delete(path)

    def list_resource_grants(self, resource_type, key, subject_kind):
        """Who holds what on one resource: ``[{name, permission, kind}]`` for its users (incl. service
        accounts: ``kind`` service-account where the server says so) or its groups."""
        gen = self.generation
        if subject_kind != "user" and not gen.resource_group_listing:
            return self._resource_groups_by_group(resource_type, key)
        path = "%s/%s/%s/%s" % (PERMISSIONS, self.GRANT_ROUTES[resource_type], seg(key),
                                "users" if subject_kind == "user" else "groups")
        return [{"name": item.get(gen.list_name_key, item.get("name")), "permission": item.get("permission"),
                 "kind": item.get("kind", item.get(gen.list_kind_key, subject_kind))} for item in self.client.get(path) or []]

    def _resource_groups_by_group(self, resource_type, key):
        """5.x has no ``/permissions/{type}/{key}/groups``: every group's listing of that type, filtered (one request
        per group; groups whose name holds "/" cannot be listed there and are skipped)."""
        rows = []
        for group in self.list_groups():
            if "/" in group and not self.generation.slash_in_group_names:
                continue
            for item in self.list_subject_grants("group", group, resource_type):
                if str(item.get("id") if resource_type == "experiment" else item.get("name")) == str(key):
                    rows.append({"name": group, "permission": item.get("permission"), "kind": "group"})
        return rows

    # ------------------------------------------------------------------ trash / garbage collection (plugin)
    # The plugin's admin trash API (routers/trash.py). Its own errors are {"error": "..."} bodies (not
    # "detail"), with 400/404/500; every id list is a comma-separated QUERY parameter, never a body. The
    # cleanup answers 200 even when it kept some of what it was asked to purge (failed_runs/_experiments).
    TRASH = "/oidc/trash"

    def require_trash_api(self, pointer=""):
        """One line where the server has no trash API (5.x)."""
        if not self.generation.trash_api:
            raise MlflowError("this server (mlflow-oidc-auth %s) has no trash API to purge deleted experiments and runs%s"
                              % (self.generation.label, ": " + pointer if pointer else ""))

    def trash_experiments(self):
        """Every soft-deleted experiment: [{experiment_id, name, last_update_time, ...}] (one request)."""
        data = self.client.get(self.TRASH + "/experiments") or {}
        return [dict(experiment_id=str(e["experiment_id"]), name=e.get("name"), last_update_time=e.get("last_update_time"),
                     creation_time=e.get("creation_time")) for e in data.get("deleted_experiments") or []]

    def trash_runs(self, experiment_ids=None, older_than=None):
        """Deleted runs, of ``experiment_ids`` only when given, deleted more than ``older_than`` ago when given
        (the server's clock decides)."""
        params = {}
        if experiment_ids:
            params["experiment_ids"] = ",".join(experiment_ids)
        if older_than:
            params["older_than"] = older_than
        data = self.client.request("GET", self.TRASH + "/runs", params=params or None, ok=(400,)) or {}
        if "deleted_runs" not in data:
            raise MlflowError("GET %s/runs failed: %s" % (self.TRASH, data.get("error") or data))
        return [dict(run_id=r["run_id"], experiment_id=str(r.get("experiment_id")), run_name=r.get("run_name"))
                for r in data["deleted_runs"]]

    def trash_cleanup(self, experiment_ids=None, run_ids=None, older_than=None):
        """Permanently delete the named experiments (with their deleted runs) and runs.

        Returns ``parse_cleanup_result`` of the answer. Never call it without ids: the server would empty
        the whole trash.
        """
        if not experiment_ids and not run_ids:
            raise MlflowError("internal error: trash cleanup without ids would empty the whole trash")
        params = {}
        if experiment_ids:
            params["experiment_ids"] = ",".join(experiment_ids)
        if run_ids:
            params["run_ids"] = ",".join(run_ids)
        if older_than:
            params["older_than"] = older_than
        data = self.client.post(self.TRASH + "/cleanup", params=params, ok=(400, 404, 500))
        return self.parse_cleanup_result(data)

    def gc_experiment_grants(self, experiment_id):
        """Every user and group grant on an experiment id (exists or not): [{kind, name, permission}], sorted."""
        grants = []
        for kind in ("user", "group"):
            for item in self.list_resource_grants("experiment", experiment_id, kind):
                grants.append(dict(experiment_id=str(experiment_id), kind=kind, name=item["name"], permission=item.get("permission")))
        return sorted(grants, key=lambda g: (g["kind"], g["name"] or ""))

    @staticmethod
    def parse_cleanup_result(data):
        """The answer of POST /oidc/trash/cleanup as {deleted_experiments, deleted_runs, failed_experiments,
        failed_runs, error}. ``error`` is the request's own error (nothing was purged); a 200 that lists
        ``failed_*`` purged only part of what was asked: both are failures for the caller."""
        result = dict(deleted_experiments=[], deleted_runs=[], failed_experiments=[], failed_runs=[], error=None)
        if not isinstance(data, dict) or "deleted_runs" not in data and "deleted_experiments" not in data:
            if isinstance(data, dict):
                result["error"] = str(data.get("error") or data.get("detail") or data)
            else:
                text = str(data or "").strip()
                result["error"] = text.splitlines()[0][:300] if text else "empty answer"
            return result
        result["deleted_experiments"] = [str(i) for i in data.get("deleted_experiments") or []]
        result["deleted_runs"] = [str(i) for i in data.get("deleted_runs") or []]
        for key, id_key in (("failed_experiments", "experiment_id"), ("failed_runs", "run_id")):
            for item in data.get(key) or []:
                if isinstance(item, dict):
                    result[key].append({id_key: str(item.get(id_key)), "error": item.get("error") or "kept by the server"})
                else:
                    result[key].append({id_key: str(item), "error": "kept by the server"})
        return result
