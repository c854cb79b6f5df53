"""Real servers for the integration tests and the demo, on 127.0.0.1 only.

What it starts, each as a subprocess in its own process group, logging to STATE/<name>.log:

  idp       oidc-provider-mock (from .venv/idp): a real OpenID Connect provider. Any client id and
            secret are accepted (no registration), any redirect URI; users are whatever `sub` the
            authorize form is posted with, their claims (email, name, groups) set beforehand with
            `PUT /users/<sub>`. Issues RS256 ID tokens and refresh tokens. MLflow 8.0+ mints access
            tokens only for an interactive sign-in (a browser session or an IdP ID token as
            Bearer), so the collection's token modules cannot be tested without it.
  mlflow11  `mlflow server --app-name oidc-auth` with mlflow-oidc-auth 11.0.2 (from .venv/mlflow11,
            Python 3.12), wired to the idp. Its admin `admin@example.com` and a personal access
            token are written into the users DB through the plugin's store API before it starts.
  mlflow5   the same with mlflow-oidc-auth 5.7.0 (.venv/mlflow5), the generation the admin guide
            describes. Admin created with a generated token as its password; groups pre-created
            (5.x has no REST call that creates a group).

Why real servers: the collection must work against what the plugin really answers (error shapes,
upsert quirks, generation differences), which no mock of the plugin reproduces faithfully.

Usage (from .venv/controller's python; only the stdlib and requests are imported):

  python tests/harness/servers.py start --state DIR [--only idp,mlflow11,mlflow5]
  python tests/harness/servers.py stop --state DIR

`start` writes DIR/servers.json and returns; the servers keep running until `stop`. Importable:
start_all / stop_all, and the pieces start_idp / start_mlflow11 / start_mlflow5 / idp_sign_in /
idp_refresh / idp_login_to_mlflow / set_idp_user / expiry_in. Each server gets its own data directory DIR/<name>/ (databases,
artifacts, 5.x cache folders), so two generations never share a database file.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlparse

import requests

ROOT = Path(__file__).resolve().parents[2]
VENVS = ROOT / ".venv"

ADMIN_USERNAME = "admin@example.com"
ADMIN_GROUP = "mlflow-admin"
USER_GROUP = "mlflow"
# gen-test-*: groups tests/integration/test_generations.py grants to (5.x cannot create groups);
# "gen-test/slash": a name with "/" that 5.x cannot address.
DEFAULT_MLFLOW5_GROUPS = ["pk:ds-team-alpha", "pk:ds-team-beta", "mlflow", "gen-test-a", "gen-test-b", "gen-test/slash"]
OIDC_CLIENT_ID = "mlflow-test"
START_TIMEOUT = 90.0  # seconds a server may take to answer its health check
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
ALL_SERVERS = ("idp", "mlflow11", "mlflow5")

# Popen objects of the servers this process started, so stop_all can reap them (a child that is
# not waited for stays a zombie, and a zombie still counts as alive for kill(pid, 0)).
_CHILDREN: dict[int, subprocess.Popen] = {}


class ServerError(RuntimeError):
    """A server did not start, or a sign-in step did not answer as expected."""


# --------------------------------------------------------------------------------------------
# process plumbing


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the server binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _venv_bin(venv: str, exe: str) -> Path:
    path = VENVS / venv / "bin" / exe
    if not path.exists():
        raise ServerError(f"{path} is missing: run tests/harness/bootstrap.sh {venv}")
    return path


def _server_env(venv: str, extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without anything that would leak another Python or MLflow into
    the server (PYTHONPATH, VIRTUAL_ENV, MLFLOW_*), the server venv first on PATH, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "MLFLOW_", "OIDC_")) and k not in ("VIRTUAL_ENV", "SECRET_KEY")
    }
    env["PATH"] = f"{VENVS / venv / 'bin'}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["PYTHONUNBUFFERED"] = "1"
    # The plugin calls load_dotenv(), which walks up from its own install folder: a .env in the
    # work tree would otherwise feed settings into every test server.
    env["PYTHON_DOTENV_DISABLED"] = "1"
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def _spawn(name: str, argv: list[str], env: dict[str, str], state: Path, cwd: Path) -> subprocess.Popen:
    """Start argv detached in a new session (its pid is its process group id), output to
    STATE/<name>.log, and record the pid in STATE/<name>.pid for stop_all."""
    log_path = state / f"{name}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True,
        )
    _CHILDREN[proc.pid] = proc
    (state / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(name: str, url: str, proc: subprocess.Popen, log_path: Path, timeout: float | None = None) -> None:
    """Poll url until it answers 200; fail early if the process exits, or at the deadline."""
    timeout = START_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{name} exited with {proc.returncode} while starting; log tail:\n{_log_tail(log_path)}")
        try:
            resp = requests.get(url, timeout=2)
            if resp.status_code == 200:
                return
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.5)
    raise ServerError(f"{name} not healthy at {url} after {timeout:.0f} s ({last}); log tail:\n{_log_tail(log_path)}")


def _bootstrap(venv: str, code: str, args: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Run a bootstrap snippet with the server venv's interpreter; it prints one JSON line."""
    proc = subprocess.run(
        [str(_venv_bin(venv, "python")), "-c", code, *args], env=env, cwd=cwd,
        capture_output=True, text=True, timeout=180, check=False,
    )
    if proc.returncode != 0:
        raise ServerError(f"bootstrap in .venv/{venv} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _group_members_alive(pgid: int) -> list[int]:
    """Pids of the live (non-zombie) processes in process group pgid (Linux /proc)."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ... ; comm may contain spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry))
    return alive


def stop_process_group(pgid: int, timeout: float | None = None) -> str:
    """SIGTERM the group, wait up to timeout, then SIGKILL. Returns what it did."""
    timeout = STOP_TIMEOUT if timeout is None else timeout
    if not _group_members_alive(pgid):
        _reap(pgid)
        return "not running"
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return "not running"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pgid)
        if not _group_members_alive(pgid):
            return "stopped"
        time.sleep(0.2)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    time.sleep(0.5)
    _reap(pgid)
    return "killed"


def _reap(pid: int) -> None:
    proc = _CHILDREN.get(pid)
    if proc is not None and proc.poll() is not None:
        _CHILDREN.pop(pid, None)


def _rss_mb(pgid: int) -> float:
    """Resident memory of the whole process group, in MB (0 when unknown)."""
    total_kb = 0
    for pid in _group_members_alive(pgid):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            pass
    return round(total_kb / 1024, 1)


def expiry_in(days: float) -> str:
    """An ISO 8601 UTC instant `days` from now, with the `Z` both generations accept (5.x answers
    500 to an expiry without a timezone)."""
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------
# servers


def start_idp(state_dir, token_max_age: int = 86400) -> dict:
    """oidc-provider-mock on a free port. Tokens (ID, access, refresh) live token_max_age seconds
    (the mock's default of one hour would expire the admin's refresh token during a long run)."""
    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    port = free_port()
    started = time.monotonic()
    argv = [str(_venv_bin("idp", "oidc-provider-mock")), "--host", "127.0.0.1", "--port", str(port),
            "--token-max-age", str(token_max_age)]
    proc = _spawn("idp", argv, _server_env("idp", {}), state, state)
    url = f"http://127.0.0.1:{port}"
    discovery_url = f"{url}/.well-known/openid-configuration"
    _wait_healthy("idp", discovery_url, proc, state / "idp.log")
    meta = requests.get(discovery_url, timeout=5).json()
    return {
        "url": url,
        "discovery_url": discovery_url,
        "authorization_endpoint": meta["authorization_endpoint"],
        "token_endpoint": meta["token_endpoint"],
        "client_id": OIDC_CLIENT_ID,
        "client_secret": secrets.token_urlsafe(16),  # any secret is accepted; MLflow must send one
        "pid": proc.pid,
        "log": str(state / "idp.log"),
        "start_seconds": round(time.monotonic() - started, 1),
    }


# Runs inside .venv/mlflow11: the store singleton creates the users DB and runs its migrations on
# first use, so this works before the server's first start.
_BOOTSTRAP_11 = """
import json, sys
from datetime import datetime, timedelta, timezone
from mlflow_oidc_auth.store import store
username, days = sys.argv[1], int(sys.argv[2])
if not store.has_user(username):
    store.create_user(username, username, is_admin=True, is_service_account=False, written_by="manual")
expires = datetime.now(timezone.utc) + timedelta(days=days)
record, plaintext, replaced = store.replace_user_token(username, "bootstrap", expires, created_by="bootstrap")
print(json.dumps({"token": plaintext}))
"""

# Runs inside .venv/mlflow5: store.py runs init_db at import. In 5.x the token is the password.
_BOOTSTRAP_5 = """
import json, sys
from mlflow_oidc_auth.store import store
username, token, groups = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if store.has_user(username):
    store.update_user(username=username, password=token, is_admin=True)
else:
    store.create_user(username, token, username, is_admin=True)
store.populate_groups(groups)
print(json.dumps({"groups": store.get_groups()}))
"""


def _mlflow_argv(venv: str, port: int, data: Path) -> list[str]:
    return [
        str(_venv_bin(venv, "mlflow")), "server", "--app-name", "oidc-auth",
        "--host", "127.0.0.1", "--port", str(port),
        "--backend-store-uri", f"sqlite:///{data / 'mlflow.db'}",
        "--artifacts-destination", str(data / "artifacts"),
        "--workers", "1",
    ]


def _oidc_env(idp: dict, port: int, scope: str) -> dict[str, str]:
    return {
        "OIDC_DISCOVERY_URL": idp["discovery_url"],
        "OIDC_CLIENT_ID": idp["client_id"],
        "OIDC_CLIENT_SECRET": idp["client_secret"],
        "OIDC_REDIRECT_URI": f"http://127.0.0.1:{port}/callback",
        "OIDC_SCOPE": scope,
        "OIDC_ADMIN_GROUP_NAME": ADMIN_GROUP,
        "OIDC_GROUP_NAME": USER_GROUP,
        "OIDC_PROVIDER_DISPLAY_NAME": "Login with the test IdP",
    }


def start_mlflow11(state_dir, idp: dict, admin_username: str = ADMIN_USERNAME, token_days: int = 180) -> dict:
    """mlflow-oidc-auth 11.0.2 wired to idp; admin and its personal access token bootstrapped first."""
    state = Path(state_dir)
    data = state / "mlflow11"
    (data / "artifacts").mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    env = _server_env("mlflow11", {
        "OIDC_USERS_DB_URI": f"sqlite:///{data / 'auth.db'}",
        "SECRET_KEY": secrets.token_hex(32),
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # no job runner: saves ~230 MB
        "DEFAULT_MLFLOW_PERMISSION": "NO_PERMISSIONS",  # 11.x default, stated for clarity
        # offline_access: what a real IdP needs before it issues refresh tokens. The mock issues
        # them anyway and drops the scope it does not know; 11.x only sends it (it keeps refresh
        # tokens in its sessions only with OIDC_USE_REFRESH_TOKEN=true, not needed here).
        **_oidc_env(idp, port, "openid email profile offline_access"),
    })
    boot = _bootstrap("mlflow11", _BOOTSTRAP_11, [admin_username, str(token_days)], env, data)
    bootstrapped = time.monotonic()
    proc = _spawn("mlflow11", _mlflow_argv("mlflow11", port, data), env, state, data)
    _wait_healthy("mlflow11", f"{url}/health/live", proc, state / "mlflow11.log")
    return {
        "url": url,
        "admin_username": admin_username,
        "admin_token": boot["token"],
        "pid": proc.pid,
        "log": str(state / "mlflow11.log"),
        "bootstrap_seconds": round(bootstrapped - started, 1),
        "start_seconds": round(time.monotonic() - started, 1),
    }


def _admin_token() -> str:
    """24 letters/digits: the shape 5.x's own generate_token produces."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for dummy in range(24))


def start_mlflow5(state_dir, groups=None, idp: dict | None = None, admin_username: str = ADMIN_USERNAME) -> dict:
    """mlflow-oidc-auth 5.7.0. No IdP needed (basic auth, the admin's token is its password);
    when idp is given, /login works too. OIDC_SCOPE must then be space-separated: 5.x passes it
    to authlib verbatim, and its default "openid,email,profile" reaches the mock as one unknown
    scope, so no ID token comes back."""
    state = Path(state_dir)
    data = state / "mlflow5"
    (data / "artifacts").mkdir(parents=True, exist_ok=True)
    groups = list(DEFAULT_MLFLOW5_GROUPS if groups is None else groups)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    env = _server_env("mlflow5", {
        "OIDC_USERS_DB_URI": f"sqlite:///{data / 'auth.db'}",
        "SECRET_KEY": secrets.token_hex(32),
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "DEFAULT_MLFLOW_PERMISSION": "NO_PERMISSIONS",  # 5.x defaults to MANAGE for everyone
        # 5.x otherwise uses /tmp/flask_session and /tmp/flask_cache, shared by every 5.x server
        # on the machine (a stale cached key there broke token checks).
        "SESSION_CACHE_DIR": str(data / "flask_session"),
        "CACHE_DIR": str(data / "flask_cache"),
        **(_oidc_env(idp, port, "openid email profile") if idp else {}),
    })
    token = _admin_token()
    _bootstrap("mlflow5", _BOOTSTRAP_5, [admin_username, token, json.dumps(groups)], env, data)
    bootstrapped = time.monotonic()
    proc = _spawn("mlflow5", _mlflow_argv("mlflow5", port, data), env, state, data)
    _wait_healthy("mlflow5", f"{url}/health", proc, state / "mlflow5.log")
    return {
        "url": url,
        "admin_username": admin_username,
        "admin_token": token,
        "groups": groups,
        "pid": proc.pid,
        "log": str(state / "mlflow5.log"),
        "bootstrap_seconds": round(bootstrapped - started, 1),
        "start_seconds": round(time.monotonic() - started, 1),
    }


# --------------------------------------------------------------------------------------------
# signing in at the mock IdP, headless


def set_idp_user(idp: dict, username: str, groups=(ADMIN_GROUP, USER_GROUP), name: str | None = None) -> dict:
    """Store the claims the mock puts into username's tokens (it keys users by `sub`). Without
    this, a posted `sub` gets only {"email": sub}: no groups, no name."""
    claims = {
        "email": username,
        "email_verified": True,
        "preferred_username": username,
        "name": name or username.split("@")[0],
        "groups": list(groups),
    }
    resp = requests.put(f"{idp['url']}/users/{quote(username, safe='@')}", json=claims, timeout=10)
    if resp.status_code != 204:
        raise ServerError(f"idp: PUT /users/{username} -> {resp.status_code} {resp.text[:300]}")
    return claims


def _approve_at_idp(http: requests.Session, authorize_url: str, username: str) -> str:
    """Show the mock's authorize page, post its form as username; returns the redirect target
    (the client's redirect_uri with ?code&state)."""
    page = http.get(authorize_url, timeout=10)
    if page.status_code != 200 or 'name="sub"' not in page.text:
        raise ServerError(f"idp: authorize page -> {page.status_code} {page.text[:300]}")
    # The form has no action: it posts back to the same URL, query string included.
    resp = http.post(authorize_url, data={"sub": username}, allow_redirects=False, timeout=10)
    location = resp.headers.get("Location", "")
    if resp.status_code != 302 or "code=" not in location:
        raise ServerError(f"idp: authorize POST -> {resp.status_code} {location or resp.text[:300]}")
    return location


def _token_request(idp: dict, data: dict) -> dict:
    resp = requests.post(idp["token_endpoint"], data=data, auth=(idp["client_id"], idp["client_secret"]), timeout=10)
    if resp.status_code != 200:
        raise ServerError(f"idp: token endpoint ({data['grant_type']}) -> {resp.status_code} {resp.text[:300]}")
    return resp.json()


def idp_sign_in(idp: dict, mlflow_url: str, username: str, groups=(ADMIN_GROUP, USER_GROUP),
                scope: str = "openid email profile offline_access", name: str | None = None) -> dict:
    """Authorization-code flow against the mock, no browser and no MLflow involved: the code is
    taken from the redirect and exchanged here, as the MLflow server would. Returns the token
    response: id_token (what the plugin accepts as Bearer), access_token, refresh_token, ..."""
    set_idp_user(idp, username, groups, name)
    redirect_uri = f"{mlflow_url.rstrip('/')}/callback"
    query = urlencode({
        "response_type": "code", "client_id": idp["client_id"], "redirect_uri": redirect_uri,
        "scope": scope, "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
    })
    with requests.Session() as http:
        location = _approve_at_idp(http, f"{idp['authorization_endpoint']}?{query}", username)
    code = parse_qs(urlparse(location).query)["code"][0]
    tokens = _token_request(idp, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    if "id_token" not in tokens:
        raise ServerError(f"idp: no id_token for scope {scope!r}: {sorted(tokens)}")
    return tokens


def idp_refresh(idp: dict, refresh_token: str) -> dict:
    """grant_type=refresh_token at the mock: a new id_token and access_token. The mock does not
    rotate the refresh token (the old one stays valid until it expires)."""
    tokens = _token_request(idp, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    tokens.setdefault("refresh_token", refresh_token)
    return tokens


def idp_login_to_mlflow(idp: dict, mlflow_url: str, username: str, groups=(ADMIN_GROUP, USER_GROUP),
                        name: str | None = None, http: requests.Session | None = None) -> requests.Session:
    """The browser's first login, headless: GET /login -> the mock's authorize page -> POST it
    -> /callback?code&state -> session cookie. The plugin creates the user, creates the groups
    of its claims and syncs its membership, as at a real first login. Works on 11.x and, when
    started with an idp, on 5.x. Returns the logged-in session."""
    set_idp_user(idp, username, groups, name)
    http = http or requests.Session()
    base = mlflow_url.rstrip("/")
    resp = http.get(f"{base}/login", allow_redirects=False, timeout=10)
    authorize_url = resp.headers.get("Location", "")
    if resp.status_code != 302 or not authorize_url.startswith(idp["url"]):
        raise ServerError(f"{base}/login -> {resp.status_code} {authorize_url or resp.text[:300]}")
    callback = _approve_at_idp(http, authorize_url, username)
    resp = http.get(urljoin(base + "/", callback), allow_redirects=False, timeout=30)
    landing = resp.headers.get("Location", "")
    # Success is a redirect to the UI. 11.x reports a refusal as a redirect to its /auth page
    # with ?error=..., 5.x as a 200 HTML page.
    if resp.status_code != 302 or "error" in landing:
        raise ServerError(f"{base}/callback -> {resp.status_code} {landing or resp.text[:500]}")
    return http


# --------------------------------------------------------------------------------------------
# all at once


def _normalize_only(only) -> list[str]:
    if only is None:
        names = list(ALL_SERVERS)
    elif isinstance(only, str):
        names = [n.strip() for n in only.split(",") if n.strip()]
    else:
        names = list(only)
    unknown = set(names) - set(ALL_SERVERS)
    if unknown:
        raise ValueError(f"unknown server(s) {sorted(unknown)}; choose from {ALL_SERVERS}")
    if "mlflow11" in names and "idp" not in names:
        names.append("idp")  # 11.x is configured against the IdP and needs it to mint tokens
    return [n for n in ALL_SERVERS if n in names]


def start_all(state_dir, only=None, mlflow5_groups=None) -> dict:
    """Start the IdP, then the MLflow servers side by side; sign the admin in at the IdP; write
    STATE/servers.json and return its content. On any failure, stop what was started and raise."""
    state = Path(state_dir).resolve()
    state.mkdir(parents=True, exist_ok=True)
    names = _normalize_only(only)
    running = [p.stem for p in state.glob("*.pid") if p.read_text().strip().isdigit()
               and _group_members_alive(int(p.read_text().strip()))]
    if running:
        raise ServerError(f"{', '.join(running)} already running from {state}: stop them first")
    result: dict = {"state": str(state)}
    try:
        if "idp" in names:
            result["idp"] = start_idp(state)
            print(f"idp       {result['idp']['url']}  started in {result['idp']['start_seconds']} s", flush=True)

        jobs = {
            "mlflow11": lambda: start_mlflow11(state, result["idp"]),
            "mlflow5": lambda: start_mlflow5(state, mlflow5_groups, idp=result.get("idp")),
        }
        errors: dict[str, BaseException] = {}

        def run(name: str) -> None:
            try:
                result[name] = jobs[name]()
                info = result[name]
                print(f"{name:9} {info['url']}  started in {info['start_seconds']} s"
                      f" (bootstrap {info['bootstrap_seconds']} s)", flush=True)
            except BaseException as exc:  # reported below, after every thread has finished
                errors[name] = exc

        threads = [threading.Thread(target=run, args=(n,), name=f"start-{n}") for n in names if n in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise ServerError("; ".join(f"{n}: {e}" for n, e in errors.items()))

        if "mlflow11" in result:
            # A first login at 11.x binds the admin to the IdP identity and gives it its groups;
            # then an authorization-code sign-in yields the ID token (Bearer) and the refresh token
            # an automation keeps to get fresh ID tokens.
            idp, m11 = result["idp"], result["mlflow11"]
            idp_login_to_mlflow(idp, m11["url"], m11["admin_username"]).close()
            tokens = idp_sign_in(idp, m11["url"], m11["admin_username"])
            check = requests.get(f"{m11['url']}/api/2.0/mlflow/users/current",
                                 headers={"Authorization": f"Bearer {tokens['id_token']}"}, timeout=10)
            if check.status_code != 200:
                raise ServerError(f"mlflow11 refused the admin's id_token: {check.status_code} {check.text[:300]}")
            result["admin_id_token"] = tokens["id_token"]
            result["admin_refresh_token"] = tokens["refresh_token"]
            # The login created these (the admin's claim groups); tests must not expect them absent.
            m11["groups"] = requests.get(f"{m11['url']}/api/2.0/mlflow/permissions/groups",
                                         auth=(m11["admin_username"], m11["admin_token"]), timeout=10).json()

        for name in names:
            if name in result:
                result[name]["rss_mb"] = _rss_mb(result[name]["pid"])
    except BaseException:
        stop_all(state)
        raise
    (state / "servers.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def stop_all(state_dir) -> dict:
    """SIGTERM every process group recorded in STATE/*.pid, SIGKILL after 10 s; removes the pid
    files and servers.json (logs and data stay). Returns {name: "stopped"|"killed"|"not running"}."""
    state = Path(state_dir)
    done: dict[str, str] = {}
    pid_files = sorted(state.glob("*.pid"))

    def stop(pid_file: Path) -> None:
        try:
            pgid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        done[pid_file.stem] = stop_process_group(pgid)
        pid_file.unlink(missing_ok=True)

    threads = [threading.Thread(target=stop, args=(p,)) for p in pid_files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (state / "servers.json").unlink(missing_ok=True)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start the servers, write STATE/servers.json, return")
    start.add_argument("--state", required=True, help="state directory (data, logs, pids)")
    start.add_argument("--only", default=None, help=f"comma-separated subset of {','.join(ALL_SERVERS)}")
    start.add_argument("--mlflow5-groups", default=None, help="comma-separated groups to pre-create on 5.x")
    stop = sub.add_parser("stop", help="stop the servers recorded in STATE")
    stop.add_argument("--state", required=True)
    args = parser.parse_args(argv)

    if args.command == "start":
        groups = args.mlflow5_groups.split(",") if args.mlflow5_groups else None
        began = time.monotonic()
        try:
            start_all(args.state, only=args.only, mlflow5_groups=groups)
        except (ServerError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"all up in {time.monotonic() - began:.1f} s; {Path(args.state).resolve() / 'servers.json'}")
        return 0
    for name, outcome in stop_all(args.state).items():
        print(f"{name}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
