# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module of the collection.
    DOCUMENTATION = r"""
options:
  tracking_uri:
    description:
      - URL of the MLflow tracking server, for example C(https://platform.example.com/mlflow).
      - If not set, the value of the E(MLFLOW_TRACKING_URI) environment variable is used.
      - Required, through the option or the environment.
    type: str
  username:
    description:
      - User name for HTTP Basic authentication.
      - If not set, the value of the E(MLFLOW_TRACKING_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for HTTP Basic authentication. With mlflow-oidc-auth this is a personal access token.
      - If not set, the value of the E(MLFLOW_TRACKING_PASSWORD) environment variable is used.
    type: str
  token:
    description:
      - "A bearer token, sent as C(Authorization: Bearer). With mlflow-oidc-auth this is an ID token (JWT)
        issued by the identity provider, which counts as an interactive sign-in."
      - If not set, the value of the E(MLFLOW_TRACKING_TOKEN) environment variable is used.
      - "B(Precedence) when several are given, first match wins: O(token), then the OIDC sign-in with
        O(oidc_refresh_token), then O(username)/O(password). So a task can switch to a bearer sign-in while
        C(module_defaults) carries the basic credentials."
    type: str
  oidc_discovery_url:
    description:
      - The identity provider's discovery document, for example
        C(https://keycloak.example.com/realms/prokube/.well-known/openid-configuration).
      - Used with O(oidc_refresh_token) to sign in without a browser.
      - If not set, the value of the E(MLFLOW_OIDC_DISCOVERY_URL) environment variable is used.
    type: str
  oidc_client_id:
    description:
      - OAuth client id used for the refresh-token grant.
      - If not set, the value of the E(MLFLOW_OIDC_CLIENT_ID) environment variable is used.
    type: str
  oidc_client_secret:
    description:
      - OAuth client secret used for the refresh-token grant (confidential clients).
      - If not set, the value of the E(MLFLOW_OIDC_CLIENT_SECRET) environment variable is used.
    type: str
  oidc_refresh_token:
    description:
      - A refresh token (with Keycloak usually an offline token) of an MLflow administrator. When set, the module
        exchanges it once per run at the identity provider for an ID token and sends that as bearer token.
      - mlflow-oidc-auth 8.0 and later mint access tokens only for a caller signed in through the identity
        provider, so M(prokube.mlflow.mlflow_token) needs this (or O(token)) on those servers.
      - If not set, the value of the E(MLFLOW_OIDC_REFRESH_TOKEN) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
      - If not set, certificates are verified unless the E(MLFLOW_TRACKING_INSECURE_TLS) environment variable is
        C(true).
      - Setting this to V(false) together with O(ca_path) is rejected as contradictory.
    type: bool
  ca_path:
    description:
      - A CA bundle file to verify the server's certificate with.
      - If not set, the value of the E(MLFLOW_TRACKING_SERVER_CERT_PATH) environment variable is used.
    type: path
  client_cert:
    description:
      - A client certificate (PEM) for mutual TLS; may contain the key.
      - If not set, the value of the E(MLFLOW_TRACKING_CLIENT_CERT_PATH) environment variable is used.
    type: path
  client_key:
    description:
      - The private key for O(client_cert) when it is not in the same file.
    type: path
  timeout:
    description:
      - Seconds to wait for each answer. Defaults to 30.
      - If not set, the value of the E(MLFLOW_HTTP_REQUEST_TIMEOUT) environment variable is used.
    type: float
  retries:
    description:
      - How often to retry a request on connection errors and HTTP 429, 502, 503, 504, with exponential
        backoff that honours C(Retry-After). Defaults to 3.
      - A write that may already have reached the server (a timeout, 502 or 504 on POST or PATCH) is never retried.
      - If not set, the value of the E(MLFLOW_HTTP_REQUEST_MAX_RETRIES) environment variable is used.
    type: int
requirements:
  - requests
notes:
  - All modules of this collection are in the action group C(prokube.mlflow.mlflow), so connection options can
    be set once with C(module_defaults) and C(group/prokube.mlflow.mlflow).
"""

    ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: Predicts exactly what a real run would change, and writes nothing.
  diff_mode:
    support: full
    description: Shows the resource before and after, with secrets masked.
  action_group:
    description: Use C(group/prokube.mlflow.mlflow) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - prokube.mlflow.mlflow
"""

    INFO_ATTRIBUTES = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: The module changes nothing, so there is no diff.
  action_group:
    description: Use C(group/prokube.mlflow.mlflow) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - prokube.mlflow.mlflow
"""
