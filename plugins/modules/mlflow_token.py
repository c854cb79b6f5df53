#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mlflow_token
short_description: Mint, rotate and revoke mlflow-oidc-auth access tokens of users and service accounts
version_added: 0.1.0
description:
  - Makes sure a user or service account has a usable access token of the given name (the admin guide's step 4), and
    returns the token only when it mints one; or revokes the token.
  - A token's existence and expiry are readable, its secret is not. So the module mints only when the token is missing
    or no longer usable (expired, inactive, or O(current_token) does not authenticate), when it expires within
    O(rotate_before_days) (O(rotate=expiring)), or always with O(rotate=always); otherwise it reports no change.
  - The token named C(default) is replaced in one step by the server (the old one stops working at once). Any other
    name is rotated by revoking the old token and then minting the new one under the same name (the server refuses a
    second token of one name). Everything that can be checked is checked before the revocation (dates, sign-in, the
    user, the server generation), so the user is left without that token only if the server fails between the two
    calls; the module then says so, and a rerun mints it. Other tokens of the user are never touched.
  - B(Sign-in for minting.) mlflow-oidc-auth 8.0 and later mint tokens only for a caller signed in through the identity
    provider. Give O(oidc_refresh_token) and O(oidc_discovery_url) (plus O(oidc_client_id)/O(oidc_client_secret) if the
    client needs them), or a bearer O(token). With only O(username)/O(password) the module fails before changing
    anything when a token would be minted; reading and revoking work with basic authentication.
  - Needs administrator rights.
  - B(Before 8.0) (the admin guide's 5.x, and 6.0-7.x) a user has one token, which is its password; its expiry is
    readable, so O(rotate) and O(current_token) work the same. Minting works with basic authentication there. A name
    other than V(default) and O(state=absent) (no revocation exists) fail in one line before anything is written.
    A token without expiry (the random password an account is created with, never shown to anyone) counts as
    missing, so the first run mints one. RV(token_info.token_prefix) is null there (such tokens have no prefix).
author:
  - prokube.mlflow contributors (@prokube)
extends_documentation_fragment:
  - prokube.mlflow.connection
  - prokube.mlflow.connection.attributes
options:
  user:
    description:
      - The user or service account the token belongs to (compared lower-cased).
      - Not O(username), which is the connection's basic-auth user (the administrator running the task).
    type: str
    required: true
  name:
    description:
      - The token's name. V(default) is the token the server's C(PATCH /users/access-token) replaces (the admin
        guide's token); other names are independent tokens of the same user.
    type: str
    default: default
  expiration:
    description:
      - When a newly minted token expires, as a date (V(2027-06-30), midnight UTC) or an ISO 8601 date and time
        (V(2027-06-30T12:00:00Z); without an offset it is read as UTC).
      - Must be in the future and at most 366 days away. Mutually exclusive with O(expires_in_days).
      - Without both, a new token is valid for 365 days.
      - Used only when a token is minted. A different expiry of an existing token does not cause a rotation.
    type: str
  expires_in_days:
    description:
      - A newly minted token expires this many days from now (1 to 366). Mutually exclusive with O(expiration).
    type: int
  rotate:
    description:
      - V(expiring) mints when the token is missing, unusable, or expires within O(rotate_before_days).
      - V(always) mints a new token at every run (the old one stops working).
      - V(never) mints only when the token is missing or unusable (expired, inactive, or failing O(current_token)).
    type: str
    choices: [never, always, expiring]
    default: expiring
  rotate_before_days:
    description:
      - With O(rotate=expiring), rotate a token that expires within this many days.
      - A new token's lifetime must be longer than this, or every run would rotate it again; such a task fails before
        any request.
    type: int
    default: 30
  current_token:
    description:
      - The token the caller holds now (for example from a vault). The module proves it still authenticates as
        O(user) (C(GET /users/current) with basic authentication) and mints a new one when it does not, or when it
        is not the token named O(name).
    type: str
  state:
    description: V(present) makes sure a usable token exists, V(absent) revokes the token of this name.
    type: str
    choices: [present, absent]
    default: present
notes:
  - A minted token is returned once, in RV(token); the whole task result is then hidden from output and logs
    (as with C(no_log)), while a registered variable still holds it. It never appears in a diff.
  - In check mode the module predicts whether it would mint, without minting.
seealso:
  - module: prokube.mlflow.mlflow_service_account
  - module: prokube.mlflow.mlflow_user_info
"""

EXAMPLES = r"""
- name: The service account's token, rotated within 30 days of expiry (admin guide, step 4)
  prokube.mlflow.mlflow_token:
    tracking_uri: https://platform.example.com/mlflow
    oidc_discovery_url: https://keycloak.example.com/realms/prokube/.well-known/openid-configuration
    oidc_client_id: mlflow
    oidc_client_secret: "{{ mlflow_oidc_client_secret }}"
    oidc_refresh_token: "{{ mlflow_admin_offline_token }}"
    user: ds-team-alpha-sa
    expires_in_days: 180
  register: sa_token

- name: Store it as a Kubernetes secret, only when it was minted
  kubernetes.core.k8s:
    state: present
    definition:
      apiVersion: v1
      kind: Secret
      metadata: {name: ds-team-alpha-mlflow, namespace: ds-team-alpha}
      stringData:
        MLFLOW_TRACKING_USERNAME: ds-team-alpha-sa
        MLFLOW_TRACKING_PASSWORD: "{{ sa_token.token }}"
  no_log: true
  when: sa_token.token is defined

- name: A separate token for CI, valid until a fixed date
  prokube.mlflow.mlflow_token:
    user: ds-team-alpha-sa
    name: ci
    expiration: "2027-06-30"

- name: Revoke the CI token
  prokube.mlflow.mlflow_token:
    user: ds-team-alpha-sa
    name: ci
    state: absent
"""

RETURN = r"""
token:
  description: The new token (C(mlf_...)); use it as the password with the username for basic authentication.
  returned: when a token was minted
  type: str
expires_at:
  description: When the new token expires (ISO 8601).
  returned: when a token was minted
  type: str
  sample: "2027-06-30T00:00:00+00:00"
rotated:
  description: V(true) when the new token replaced an existing one of that name, V(false) for a first token.
  returned: when a token was minted
  type: bool
reason:
  description: Why the module minted, revoked, or left the token alone.
  returned: always
  type: str
  sample: "valid until 2027-06-30T00:00:00+00:00, more than 30 days away"
token_info:
  description: The token's metadata after the task (never the secret; predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    name:
      description: The token's name.
      type: str
    token_prefix:
      description: The token's public prefix (the 8 hex digits after C(mlf_)); null when predicted in check mode.
      type: str
    expires_at:
      description: When it expires (ISO 8601).
      type: str
    active:
      description: Whether it is still valid.
      type: bool
api_generation:
  description: The mlflow-oidc-auth API generation detected on the server.
  returned: when the server was reached
  type: str
  sample: 8.0+
http_requests:
  description: How many HTTP requests this task sent to MLflow (the identity provider's are not counted).
  returned: always
  type: int
"""

import re
from datetime import datetime, timedelta

from ansible_collections.prokube.mlflow.plugins.module_utils._api import MlflowApi
from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowApiError, MlflowError
from ansible_collections.prokube.mlflow.plugins.module_utils._module import MlflowModule

try:
    from datetime import timezone
    UTC = timezone.utc
except ImportError:  # pragma: no cover - Python 2 only
    UTC = None

MAX_DAYS = 366
DEFAULT_DAYS = 365
DEFAULT_NAME = "default"
TOKEN_RE = re.compile(r"^mlf_([0-9a-f]{8})_.+$")
SIGN_IN_MESSAGE = (
    "minting an access token needs an interactive sign-in: mlflow-oidc-auth 8.0 and later refuse to mint for a caller "
    "authenticated with basic auth (a personal access token), so a leaked token cannot mint more. Set "
    "oidc_refresh_token and oidc_discovery_url (and oidc_client_id/oidc_client_secret if the IdP client needs them), "
    "or token (an ID token from the identity provider); reading and revoking tokens work with basic auth")


def utcnow():
    return datetime.now(UTC)


def iso_z(moment):
    """ISO 8601 in UTC with ``Z``: the form every server generation accepts."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text):
    """Parse an ISO 8601 date or date-time (``Z``, an offset, or none = UTC) into an aware UTC datetime.
    Raises ValueError."""
    value = str(text).strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def requested_expiry(expiration, expires_in_days, now):
    """The expiry a newly minted token gets, validated like the server does. Raises MlflowError (one line)."""
    if expiration is not None:
        try:
            moment = parse_time(expiration)
        except (ValueError, TypeError):
            raise MlflowError("expiration %r is not a date (2027-06-30) or ISO 8601 date and time (2027-06-30T12:00:00Z)"
                              % (expiration,))
        if moment <= now:
            raise MlflowError("expiration %s is in the past (now is %s): give a future date, at most %d days away"
                              % (iso_z(moment), iso_z(now), MAX_DAYS))
        if moment > now + timedelta(days=MAX_DAYS):
            raise MlflowError("expiration %s is more than %d days away: the server issues tokens for at most %d days "
                              "(latest now: %s)" % (iso_z(moment), MAX_DAYS, MAX_DAYS, iso_z(now + timedelta(days=MAX_DAYS))))
        return moment
    days = DEFAULT_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_DAYS:
        raise MlflowError("expires_in_days must be between 1 and %d, got %d" % (MAX_DAYS, days))
    return now + timedelta(days=days)


def token_prefix_of(secret):
    match = TOKEN_RE.match(secret or "")
    return match.group(1) if match else None


def decide(token, now, rotate, rotate_before_days, current_token_ok=None):
    """Whether to mint a token, and why. A pure function of the token's metadata and the options.

    ``token`` is the server's metadata of the token of this name (``expires_at``, ``active``) or None;
    ``current_token_ok`` is None when not checked, else whether the caller's token authenticates (or a
    string saying why it does not). Returns ``(mint, reason)``.
    """
    if token is None:
        return True, "no token of this name exists"
    expires = parse_time(token["expires_at"]) if token.get("expires_at") else None
    if not token.get("active", True) or (expires is not None and expires <= now):
        return True, "the token expired at %s" % (token.get("expires_at") or "?")
    if current_token_ok is not None and current_token_ok is not True:
        return True, "current_token %s" % (current_token_ok or "does not authenticate")
    if rotate == "always":
        return True, "rotate=always"
    if rotate == "expiring" and expires is not None and expires - now <= timedelta(days=rotate_before_days):
        return True, "the token expires at %s, within rotate_before_days=%d" % (token["expires_at"], rotate_before_days)
    if rotate == "never":
        return False, "the token exists and is valid until %s (rotate=never)" % (token.get("expires_at") or "?")
    return False, "the token is valid until %s, more than %d days away" % (token.get("expires_at") or "?", rotate_before_days)


def token_view(token):
    if token is None:
        return None
    return {"name": token["name"], "token_prefix": token.get("token_prefix"), "expires_at": token.get("expires_at"),
            "active": bool(token.get("active", True))}


def check_current_token(module, api, username, token, current_token):
    """True when ``current_token`` is the token of this name and authenticates as ``username``, else why not."""
    prefix = token_prefix_of(current_token)
    if prefix and token.get("token_prefix") and prefix != token["token_prefix"]:
        return "is not the token named %r (its prefix is %s, the token's %s)" % (token["name"], prefix, token["token_prefix"])
    client = module.client.clone(username=username, password=current_token, token=None, oidc=None)
    try:
        who = MlflowApi(client, generation=api.generation).current_user()
    except MlflowApiError as exc:
        if exc.status in (401, 403):
            return "does not authenticate (HTTP %s)" % exc.status
        raise
    finally:
        module.client.request_count += client.request_count
    if who["username"].lower() != username:
        return "authenticates as %s, not %s" % (who["username"], username)
    return True


def main_logic(module):
    p = module.params
    username = (p["user"] or "").strip().lower()
    name = (p["name"] or "").strip()
    if not username:
        raise MlflowError("user must not be empty")
    if not name:
        raise MlflowError("name must not be empty")
    if p["rotate_before_days"] < 0:
        raise MlflowError("rotate_before_days must not be negative, got %d" % p["rotate_before_days"])
    now = utcnow()
    expiry = requested_expiry(p["expiration"], p["expires_in_days"], now) if p["state"] == "present" else None
    if expiry is not None and p["rotate"] == "expiring" and expiry - now <= timedelta(days=p["rotate_before_days"]):
        # Checked before any request: such a token would be inside its own rotation window at once.
        raise MlflowError("a new token would expire within rotate_before_days=%d, so every run would rotate it again: "
                          "give a later expiration / larger expires_in_days, a smaller rotate_before_days, or "
                          "rotate=always if that is what you want" % p["rotate_before_days"])

    api = module.api
    generation = api.generation  # probe once: proves the credentials (and the sign-in), picks the routes
    api.require_token_support(name, p["state"])  # one line where this generation cannot (named tokens, revoking)
    tokens = api.list_tokens(username)
    if tokens is None:
        if p["state"] == "absent":
            module.converge(None, None, lambda: None)
            module.exit(token_info={}, reason="user %s does not exist" % username)
        if not module.check_mode:
            raise MlflowError("user %s does not exist: create it first (prokube.mlflow.mlflow_service_account or "
                              "prokube.mlflow.mlflow_user)" % username)
        module.warn("user %s does not exist (yet): predicting that a token would be minted" % username)
        tokens = []
    current = next((t for t in tokens if t.get("name") == name), None)
    before = token_view(current)

    if p["state"] == "absent":
        def revoke():
            api.delete_token(username, current["id"])

        module.converge(before, None, revoke)
        module.exit(token_info={}, reason="revoked" if current else "no token of this name exists")

    mint, reason = decide(current, now, p["rotate"], p["rotate_before_days"])
    if not mint and p["current_token"]:
        mint, reason = decide(current, now, p["rotate"], p["rotate_before_days"],
                              check_current_token(module, api, username, current, p["current_token"]))
    if not mint:
        module.converge(before, before, lambda: None)
        module.exit(token_info=before, reason=reason)

    if generation.mint_needs_sign_in and not module.client.interactive:
        raise MlflowError(SIGN_IN_MESSAGE)
    after = {"name": name, "token_prefix": None, "expires_at": iso_z(expiry), "active": True}
    minted = {}

    def write():
        if name == DEFAULT_NAME:
            # One atomic call: the server replaces the token named "default" (the old one is dead at once).
            data = api.rotate_default_token(username, iso_z(expiry))
        else:
            # Names are unique, so the old token must go first. Everything checkable was checked above.
            if current is not None:
                api.delete_token(username, current["id"])
            try:
                data = api.create_token(username, name, iso_z(expiry))
            except MlflowError as exc:
                if current is None:
                    raise
                raise MlflowError("the old token %r of %s was revoked, but the new one could not be minted: %s. Rerun "
                                  "the task to mint it" % (name, username, exc))
        minted.update(token=data["token"], expires_at=data.get("expires_at") or iso_z(expiry))
        return {"name": name, "token_prefix": data.get("token_prefix") or token_prefix_of(data["token"]),
                "expires_at": minted["expires_at"], "active": True}

    end = module.converge(before, after, write)
    if not minted:  # check mode: predicted only
        module.exit(token_info=end, reason=reason)
    module.exit(token_info=end, reason=reason, token=minted["token"], expires_at=minted["expires_at"],
                rotated=current is not None)


def main():
    module = MlflowModule(
        argument_spec=dict(
            user=dict(type="str", required=True),
            name=dict(type="str", default=DEFAULT_NAME),
            expiration=dict(type="str"),
            expires_in_days=dict(type="int"),
            rotate=dict(type="str", default="expiring", choices=["never", "always", "expiring"]),
            rotate_before_days=dict(type="int", default=30),
            current_token=dict(type="str", no_log=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        mutually_exclusive=[("expiration", "expires_in_days")],
    )
    module.run(main_logic)


if __name__ == "__main__":
    main()
