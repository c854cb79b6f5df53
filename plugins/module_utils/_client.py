# -*- coding: utf-8 -*-
# Copyright (c) prokube.mlflow contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP only: one requests.Session, authentication, TLS, timeout, retries, error mapping, pagination.

This module knows nothing about experiments, users or grants (that is ``_api.py``) and nothing about
Ansible (that is ``_module.py``). Everything that reaches the MLflow server goes through
:meth:`MlflowClient.request`.

Authentication, first match wins:
  1. ``token``             sent as ``Authorization: Bearer`` (an IdP-issued JWT);
  2. ``oidc_refresh_token`` exchanged once per run at the IdP (refresh-token grant), the resulting
                           ``id_token`` sent as Bearer (counts as an interactive sign-in);
  3. ``username``/``password`` sent as HTTP Basic (with mlflow-oidc-auth the password is a personal
                           access token).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module base class
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover - Python 2 is not supported, this only keeps sanity happy
    from urllib import quote, urlencode  # type: ignore

RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Statuses at which a proxy or the server itself did not process the request: safe for any method.
NOT_PROCESSED_STATUSES = frozenset((429, 503))
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE"))
MAX_RETRY_AFTER = 30.0


def seg(value):
    """Percent-encode one path segment: ``pk:ds-team-alpha`` stays, ``/data-science`` becomes ``%2Fdata-science``."""
    return quote(str(value), safe=":@-._~")


class MlflowError(Exception):
    """A problem the user has to fix, with a one-line message."""


class CheckModeViolation(MlflowError):
    """A write was attempted while the client is read-only (check mode). Always a bug in a module."""


class MlflowApiError(MlflowError):
    """One error type for every failed HTTP exchange.

    ``status`` is the HTTP status (``None`` for connection errors), ``error_code`` MLflow's code
    (``RESOURCE_DOES_NOT_EXIST`` ...), ``detail`` the plugin's or MLflow's message, ``html`` whether the
    body was an HTML page (a 404 with HTML means: this server has no such route).
    """

    def __init__(self, method, path, status=None, error_code=None, detail=None, html=False, hint=None):
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.html = html
        self.hint = hint
        super(MlflowApiError, self).__init__(self.summary())

    @property
    def missing_route(self):
        """True when the server does not know the route at all (Flask/FastAPI fallback page)."""
        return self.status in (404, 405) and self.html

    @property
    def not_found(self):
        return self.status == 404 and not self.html

    def summary(self):
        where = "%s %s" % (self.method, self.path)
        what = self.detail or self.error_code or ""
        if self.status is None:
            text = "%s failed: %s" % (where, what)
        elif self.status == 401:
            text = ("%s: authentication failed (401%s). Check username and password (with mlflow-oidc-auth the "
                    "password is a personal access token) or the bearer token/OIDC sign-in settings"
                    % (where, ": " + what if what else ""))
        elif self.status == 403:
            text = ("%s: permission denied (403%s). The caller needs administrator rights or MANAGE on this resource"
                    % (where, ": " + what if what else ""))
        elif self.missing_route:
            text = ("%s: this server has no such route (%d, HTML page). Is the mlflow-oidc-auth plugin enabled "
                    "(mlflow server --app-name oidc-auth) and is its version supported?" % (where, self.status))
        elif self.status == 404:
            text = "%s: not found (404%s)" % (where, ": " + what if what else "")
        else:
            code = " %s" % self.error_code if self.error_code else ""
            text = "%s failed: HTTP %s%s%s" % (where, self.status, code, ": " + what if what and what != self.error_code else "")
        if self.hint:
            text = "%s. %s" % (text, self.hint)
        return " ".join(text.split())


def _parse_body(response):
    """Return (data, is_html). JSON bodies are decoded, HTML pages flagged, other text returned as is."""
    ctype = (response.headers.get("Content-Type") or "").lower()
    text = response.text or ""
    if "json" in ctype:
        try:
            return response.json(), False
        except ValueError:
            return text, False
    stripped = text.lstrip()[:200].lower()
    if "html" in ctype or stripped.startswith("<!doctype html") or stripped.startswith("<html"):
        return text, True
    if not text:
        return None, False
    try:
        return json.loads(text), False
    except ValueError:
        return text, False


def _error_fields(data):
    """Pull MLflow's ``error_code``/``message`` or the plugin's ``detail`` out of an error body."""
    if isinstance(data, dict):
        code = data.get("error_code")
        detail = data.get("detail", data.get("message"))
        if isinstance(detail, list):  # FastAPI 422: [{"loc": [...], "msg": "..."}]
            detail = "; ".join("%s: %s" % (".".join(str(x) for x in d.get("loc", [])), d.get("msg")) for d in detail
                               if isinstance(d, dict)) or str(detail)
        return code, (str(detail) if detail is not None else None)
    if isinstance(data, str) and data.strip():
        return None, data.strip().splitlines()[0][:200]
    return None, None


class MlflowClient(object):
    """A small HTTP client for an MLflow tracking server with the mlflow-oidc-auth plugin."""

    def __init__(self, tracking_uri, username=None, password=None, token=None, oidc=None,
                 validate_certs=True, ca_path=None, client_cert=None, client_key=None,
                 timeout=30.0, retries=3, backoff_factor=0.5, on_retry=None, sleep=time.sleep):
        if not HAS_REQUESTS:
            raise MlflowError("the Python library 'requests' is required on the host that runs this module")
        if not tracking_uri:
            raise MlflowError("tracking_uri is not set: give tracking_uri or set MLFLOW_TRACKING_URI")
        if not (tracking_uri.startswith("http://") or tracking_uri.startswith("https://")):
            raise MlflowError("tracking_uri must be an http:// or https:// URL, got %r" % tracking_uri)
        if ca_path and validate_certs is False:
            raise MlflowError("contradictory TLS settings: ca_path (MLFLOW_TRACKING_SERVER_CERT_PATH) is set but "
                              "validate_certs is false (MLFLOW_TRACKING_INSECURE_TLS); set only one of them")
        if client_key and not client_cert:
            raise MlflowError("client_key is set without client_cert")
        self.base_url = tracking_uri.rstrip("/")
        self.username = username
        self.password = password
        self.token = token
        self.oidc = oidc if oidc and oidc.get("refresh_token") else None
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff_factor = backoff_factor
        self.on_retry = on_retry
        self._sleep = sleep
        self.read_only = False
        self.request_count = 0
        self._id_token = None
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "prokube.mlflow"})
        self.session.verify = ca_path if ca_path else bool(validate_certs)
        if client_cert:
            self.session.cert = (client_cert, client_key) if client_key else client_cert
        adapter = HTTPAdapter(max_retries=0)  # retries are ours: we decide per method what is safe
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # ---------------------------------------------------------------- authentication
    @property
    def auth_mode(self):
        if self.token:
            return "bearer"
        if self.oidc:
            return "oidc"
        if self.username and self.password:
            return "basic"
        return "none"

    @property
    def interactive(self):
        """True when requests carry an IdP-issued JWT (needed to mint access tokens on 8.0+)."""
        return self.auth_mode in ("bearer", "oidc")

    def _auth_header(self):
        mode = self.auth_mode
        if mode == "bearer":
            return {"Authorization": "Bearer %s" % self.token}
        if mode == "oidc":
            return {"Authorization": "Bearer %s" % self.oidc_sign_in()}
        return {}

    def oidc_sign_in(self):
        """Refresh-token grant at the IdP; the id_token (or access token) is cached for this run."""
        if self._id_token:
            return self._id_token
        cfg = self.oidc
        try:
            disc = self.session.get(cfg["discovery_url"], timeout=self.timeout)
            disc.raise_for_status()
            token_endpoint = disc.json()["token_endpoint"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise MlflowError("OIDC sign-in failed: cannot read the issuer discovery document %s: %s"
                              % (cfg.get("discovery_url"), exc))
        form = {"grant_type": "refresh_token", "refresh_token": cfg["refresh_token"], "client_id": cfg.get("client_id") or ""}
        if cfg.get("client_secret"):
            form["client_secret"] = cfg["client_secret"]
        try:
            resp = self.session.post(token_endpoint, data=form, timeout=self.timeout,
                                     headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise MlflowError("OIDC sign-in failed: %s unreachable: %s" % (token_endpoint, exc))
        data, _html = _parse_body(resp)
        if resp.status_code != 200 or not isinstance(data, dict):
            code, detail = _error_fields(data)
            err = data.get("error_description") or data.get("error") if isinstance(data, dict) else detail
            raise MlflowError("OIDC sign-in failed: the IdP refused the refresh token (HTTP %s: %s). Get a new "
                              "offline/refresh token and check oidc_client_id/oidc_client_secret"
                              % (resp.status_code, err or code or "no detail"))
        self._id_token = data.get("id_token") or data.get("access_token")
        if not self._id_token:
            raise MlflowError("OIDC sign-in failed: the IdP answered without id_token or access_token")
        return self._id_token

    def clone(self, **overrides):
        """A client for the same server with other credentials (e.g. to prove a token authenticates)."""
        kw = dict(tracking_uri=self.base_url, username=self.username, password=self.password, token=self.token,
                  oidc=self.oidc, timeout=self.timeout, retries=self.retries, backoff_factor=self.backoff_factor,
                  on_retry=self.on_retry, sleep=self._sleep)
        kw.update(overrides)
        other = MlflowClient(**kw)
        other.session.verify = self.session.verify
        other.session.cert = self.session.cert
        other.read_only = self.read_only
        return other

    # ---------------------------------------------------------------- requests
    def url(self, path, params=None):
        url = self.base_url + path
        if params:
            url += "?" + urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
        return url

    def _delay(self, attempt, response=None):
        if response is not None:
            after = response.headers.get("Retry-After")
            if after:
                try:
                    return min(float(after), MAX_RETRY_AFTER)
                except ValueError:
                    pass
        return self.backoff_factor * (2 ** attempt)

    def request(self, method, path, body=None, params=None, read=None, ok=None):
        """Send one request and return the decoded JSON body (``None`` when empty).

        ``read`` marks a request that changes nothing (default: GET/HEAD); every other request is a write
        and is refused while ``read_only`` is set. ``ok`` is a tuple of extra statuses to return instead of
        raising (their body is returned). Retries: connection errors before the request was sent and
        429/503 for any method; read timeouts, 502 and 504 only for idempotent methods, because a
        POST/PATCH may already have been carried out.
        """
        method = method.upper()
        is_read = read if read is not None else method in ("GET", "HEAD")
        if not is_read and self.read_only:
            raise CheckModeViolation("internal error: %s %s attempted in check mode" % (method, path))
        idempotent = is_read or method in IDEMPOTENT_METHODS
        headers = self._auth_header()
        auth = (self.username, self.password) if self.auth_mode == "basic" else None
        kwargs = dict(params=params, headers=headers, auth=auth, timeout=self.timeout, allow_redirects=False)
        if body is not None:
            kwargs["json"] = body
        attempt = 0
        while True:
            self.request_count += 1
            try:
                response = self.session.request(method, self.base_url + path, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise MlflowApiError(method, path, detail="TLS error: %s" % _short(exc),
                                     hint="Check ca_path/validate_certs (MLFLOW_TRACKING_SERVER_CERT_PATH)")
            except requests.exceptions.ConnectionError as exc:
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and "NewConnectionError" not in repr(exc) \
                    and "Connection refused" not in str(exc)
                if attempt < self.retries and (idempotent or not sent):
                    self._retry(method, path, attempt, "connection error")
                    attempt += 1
                    continue
                raise MlflowApiError(method, path, detail="cannot reach %s: %s" % (self.base_url, _short(exc)),
                                     hint="Check tracking_uri and that the server is running")
            except requests.exceptions.Timeout as exc:
                if attempt < self.retries and idempotent:
                    self._retry(method, path, attempt, "timeout")
                    attempt += 1
                    continue
                raise MlflowApiError(method, path, detail="no answer within %ss (%s)" % (self.timeout, _short(exc)),
                                     hint="Raise timeout or check the server")
            status = response.status_code
            if status in RETRY_STATUSES and attempt < self.retries and (idempotent or status in NOT_PROCESSED_STATUSES):
                self._retry(method, path, attempt, "HTTP %d" % status, response)
                attempt += 1
                continue
            data, html = _parse_body(response)
            if 200 <= status < 300 and not html:
                return data
            if ok and status in ok and not html:
                return data
            if 200 <= status < 300 and html:
                raise MlflowApiError(method, path, status=status, html=True,
                                     detail="the server answered an HTML page instead of JSON (a login page?)",
                                     hint="Check the credentials: this server did not accept them")
            if 300 <= status < 400:
                raise MlflowApiError(method, path, status=status,
                                     detail="redirected to %s (a login redirect means missing or rejected credentials)"
                                     % response.headers.get("Location", "?"))
            code, detail = _error_fields(None if html else data)
            raise MlflowApiError(method, path, status=status, error_code=code, detail=detail, html=html)

    def _retry(self, method, path, attempt, why, response=None):
        delay = self._delay(attempt, response)
        if self.on_retry:
            self.on_retry("%s %s: %s, retry %d of %d in %.1fs" % (method, path, why, attempt + 1, self.retries, delay))
        self._sleep(delay)

    def get(self, path, params=None, ok=None):
        return self.request("GET", path, params=params, ok=ok)

    def post(self, path, body=None, params=None, ok=None, read=None):
        return self.request("POST", path, body=body, params=params, ok=ok, read=read)

    def patch(self, path, body=None, ok=None):
        return self.request("PATCH", path, body=body, ok=ok)

    def delete(self, path, body=None, params=None, ok=None):
        return self.request("DELETE", path, body=body, params=params, ok=ok)

    # ---------------------------------------------------------------- pagination
    def paginate_token(self, path, items_key, params=None, page_size=1000, max_pages=10000):
        """Follow MLflow's ``page_token``/``next_page_token`` and return every item of every page."""
        params = dict(params or {})
        params.setdefault("max_results", page_size)
        items = []
        for _page in range(max_pages):
            data = self.get(path, params=dict(params)) or {}
            items.extend(data.get(items_key) or [])
            token = data.get("next_page_token")
            if not token:
                return items
            params["page_token"] = token
        raise MlflowError("%s: more than %d pages, stopped" % (path, max_pages))

    def paginate_offset(self, path, params=None, limit=500, items_key=None, max_pages=10000):
        """Follow the plugin's ``limit``/``offset`` lists until a short page."""
        params = dict(params or {})
        items = []
        for page in range(max_pages):
            params.update(limit=limit, offset=page * limit)
            data = self.get(path, params=dict(params))
            batch = data.get(items_key) if items_key and isinstance(data, dict) else data
            batch = batch or []
            items.extend(batch)
            if len(batch) < limit:
                return items
        raise MlflowError("%s: more than %d pages, stopped" % (path, max_pages))


def _short(exc):
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "..."
