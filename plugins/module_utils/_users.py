# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one engine behind mlflow_user and mlflow_service_account.

The account is named by the option ``name``: ``username`` is the connection's basic-auth user (shared by
every module and by ``module_defaults``), so it cannot also name the account a task manages.

The server's create (``POST /users``) is an upsert that overwrites BOTH flags with what is sent (an
absent ``is_admin`` demotes an admin). So: read first, keep every flag the task does not set, and post
again only when a flag really differs, always with both flags. ``display_name`` cannot be changed by any
route: a difference is reported (warning and ``display_name_mismatch``), never claimed as a change.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError


def user_argument_spec(service_account_fixed=False):
    spec = dict(
        name=dict(type="str", required=True),
        display_name=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    if not service_account_fixed:
        spec.update(
            is_admin=dict(type="bool"),
            service_account=dict(type="bool"),
            active=dict(type="bool"),
        )
    return spec


def view(user, detail=None):
    """The user as the module shows it (``detail`` adds ``active`` when the task manages it)."""
    if user is None:
        return None
    out = {
        "username": user["username"],
        "display_name": user["display_name"],
        "is_admin": user["is_admin"],
        "service_account": user["is_service_account"],
        "groups": list(user["groups"]),
    }
    if detail is not None:
        out["active"] = bool(detail.get("active", True))
    return out


def read(api, username, with_active):
    user = api.get_user(username)
    if user is None or not with_active:
        return view(user)
    detail = api.get_user_detail(username)
    return view(user, detail or {})


def upsert(api, username, display_name, is_admin, service_account, demoting):
    try:
        api.create_user(username, display_name, is_admin, service_account)
    except MlflowApiError as exc:
        if demoting and exc.status in (409, 500):
            raise MlflowError("%s. Removing is_admin from %s was refused: the server keeps at least one active "
                              "administrator, make another user an administrator first" % (exc, username))
        raise


def run_user(module, service_account_fixed=None):
    """main_logic of mlflow_user (``service_account_fixed=None``) and mlflow_service_account (``True``)."""
    p = module.params
    api = module.api
    username = (p["name"] or "").strip().lower()
    if not username:
        raise MlflowError("name must not be empty")
    if service_account_fixed is None:
        want_admin, want_sa, want_active = p["is_admin"], p["service_account"], p["active"]
    else:
        want_admin, want_sa, want_active = None, service_account_fixed, None
    manage_active = want_active is not None
    kind = "service account" if service_account_fixed else "user"

    api.generation  # probe once: proves the credentials, picks the routes
    if manage_active:
        api.require_user_active()  # 5.x cannot (de)activate: one line before anything is read or written
    before = read(api, username, manage_active)
    extra = {}

    if p["state"] == "absent":
        def delete():
            api.delete_user(username)

        end = module.converge(before, None, delete)
        module.exit(user=end or {})

    if before is None:
        after = {
            "username": username,
            "display_name": p["display_name"] or username,
            "is_admin": bool(want_admin),
            "service_account": bool(want_sa),
            "groups": [],
        }
        if manage_active:
            after["active"] = want_active

        def write():
            api.create_user(username, after["display_name"], after["is_admin"], after["service_account"])
            if manage_active and not want_active:
                api.set_user_active(username, False)
            return read(api, username, manage_active)
    else:
        after = dict(before)
        if want_admin is not None:
            after["is_admin"] = want_admin
        if want_sa is not None:
            after["service_account"] = want_sa
        if manage_active:
            after["active"] = want_active
        if p["display_name"] is not None and p["display_name"] != before["display_name"]:
            extra["display_name_mismatch"] = {"requested": p["display_name"], "actual": before["display_name"]}
            module.warn("%s %s keeps its display name %r: mlflow-oidc-auth cannot change a display name through its API "
                        "(requested %r)" % (kind, username, before["display_name"], p["display_name"]))
        if service_account_fixed and not before["service_account"]:
            module.warn("%s was a person's account and becomes a service account" % username)

        def write():
            flags = ("is_admin", "service_account")
            if any(before[k] != after[k] for k in flags):
                upsert(api, username, before["display_name"], after["is_admin"], after["service_account"],
                       demoting=before["is_admin"] and not after["is_admin"])
            if manage_active and before.get("active") != want_active:
                api.set_user_active(username, want_active)
            return read(api, username, manage_active)

    end = module.converge(before, after, write)
    module.exit(user=end, **extra)
