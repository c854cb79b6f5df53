"""mlflow_token against a real mlflow-oidc-auth 11.x server, minting through a real IdP sign-in (oidc-provider-mock)."""
import os
import sys

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "harness"))
from scenario import check_real_rerun  # noqa: E402

USERS = "/api/2.0/mlflow/users"


def token_tasks(path, **args):
    """The token task, then the minted token (if any) written to a file without ever being shown."""
    return [
        {"name": "tok", "prokube.mlflow.mlflow_token": args, "register": "out"},
        {"name": "save", "ansible.builtin.copy": {"content": "{{ out.token }}", "dest": str(path), "mode": "0600"},
         "no_log": True, "diff": False, "when": "out.token is defined"},
    ]


def tokens_of(mlflow, user):
    status, body = mlflow.get("%s/%s/tokens" % (USERS, user))
    assert status == 200, body
    return sorted(body["tokens"], key=lambda t: t["id"])


def whoami(mlflow, user, token):
    """Basic auth with the username and the token, as a pipeline would use it."""
    r = requests.get(mlflow.url + USERS + "/current", auth=(user, token), timeout=30)
    return r.status_code, (r.json().get("username") if r.status_code == 200 else None)


def service_account(mlflow, uid, suffix="sa"):
    name = "tok-%s-%s" % (suffix, uid)
    mlflow.run([{"name": "sa", "prokube.mlflow.mlflow_service_account": {"name": name}}]).assert_ok()
    return name


def test_mint_authenticates_rerun_rotate_always_and_revoke(mlflow, uid, tmp_path):
    sa = service_account(mlflow, uid)
    saved = tmp_path / "token"
    # --check predicts a mint without minting; the real run mints; the rerun does not
    check, real, again = check_real_rerun(mlflow, token_tasks(saved, user=sa, expires_in_days=90), "tok",
                                          lambda: tokens_of(mlflow, sa), defaults="oidc")
    assert "token" not in check.result("tok")
    assert check.result("tok")["token_info"]["token_prefix"] is None
    first = saved.read_text()
    assert first.startswith("mlf_")
    assert whoami(mlflow, sa, first) == (200, sa), "the minted token authenticates as the service account"
    assert again.result("tok")["reason"].startswith("the token is valid until")
    assert again.result("tok")["http_requests"] == 2  # probe + GET /users/{u}/tokens
    (default,) = tokens_of(mlflow, sa)
    assert default["name"] == "default" and default["token_prefix"] == first.split("_")[1]

    # rotate: always mints again, and the old token is rejected at once
    saved.unlink()
    run = mlflow.run(token_tasks(saved, user=sa, rotate="always"), defaults="oidc").assert_ok()
    assert run.changed("tok") is True
    second = saved.read_text()
    assert second != first
    assert whoami(mlflow, sa, first)[0] == 401
    assert whoami(mlflow, sa, second) == (200, sa)

    # current_token proves the held token still works (no mint), a stale one causes a mint
    keep = mlflow.run(token_tasks(saved, user=sa, current_token=second), defaults="oidc").assert_ok()
    assert keep.changed("tok") is False
    assert keep.result("tok")["http_requests"] == 3  # probe + token list + GET /users/current as the SA
    saved.unlink()
    stale = mlflow.run(token_tasks(saved, user=sa, current_token=first), defaults="oidc").assert_ok()
    assert stale.changed("tok") is True  # the stale token's prefix is not the current token's
    third = saved.read_text()
    assert whoami(mlflow, sa, second)[0] == 401 and whoami(mlflow, sa, third) == (200, sa)

    # state: absent revokes (basic auth is enough to revoke)
    check_real_rerun(mlflow, token_tasks(saved, user=sa, state="absent"), "tok", lambda: tokens_of(mlflow, sa))
    assert whoami(mlflow, sa, third)[0] == 401
    assert tokens_of(mlflow, sa) == []


def test_expiring_named_token_is_rotated(mlflow, uid, tmp_path):
    sa = service_account(mlflow, uid, "exp")
    saved = tmp_path / "token"
    # a short-lived named token, made without rotation
    mlflow.run(token_tasks(saved, user=sa, name="ci", expires_in_days=2, rotate="never"), defaults="oidc").assert_ok()
    old = saved.read_text()
    again = mlflow.run(token_tasks(saved, user=sa, name="ci", expires_in_days=2, rotate="never"), defaults="oidc").assert_ok()
    assert again.changed("tok") is False
    saved.unlink()
    # a wide window: the token expires within 30 days, so it is rotated (delete, then mint under the same name)
    check, real, _again = check_real_rerun(mlflow, token_tasks(saved, user=sa, name="ci", expiration=_days_from_now(200)),
                                           "tok", lambda: tokens_of(mlflow, sa), defaults="oidc")
    assert "rotate_before_days=30" in check.result("tok")["reason"]
    new = saved.read_text()
    assert whoami(mlflow, sa, old)[0] == 401
    assert whoami(mlflow, sa, new) == (200, sa)
    (ci,) = tokens_of(mlflow, sa)
    assert ci["name"] == "ci" and ci["expires_at"][:10] == _days_from_now(200)[:10]


def _days_from_now(days):
    from datetime import datetime, timedelta, timezone
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_minting_with_basic_auth_only_fails_before_writing(mlflow, uid, tmp_path):
    sa = service_account(mlflow, uid, "basic")
    for check in (True, False):
        run = mlflow.run(token_tasks(tmp_path / "token", user=sa), check=check)
        assert run.rc != 0
        msg = run.result("tok")["msg"]
        assert "interactive sign-in" in msg and "8.0" in msg, msg
        assert "oidc_refresh_token" in msg and "oidc_discovery_url" in msg and "token" in msg
        assert "\n" not in msg
    assert tokens_of(mlflow, sa) == []


def test_bad_dates_fail_before_any_request(mlflow, uid, tmp_path):
    cases = {"2026-10-31": "in the past", _days_from_now(400): "more than 366 days", "next tuesday": "is not a date"}
    for value, words in cases.items():
        run = mlflow.run(token_tasks(tmp_path / "token", user="x-%s" % uid, expiration=value), defaults="oidc")
        assert run.rc != 0
        res = run.result("tok")
        assert words in res["msg"] and "\n" not in res["msg"], res["msg"]
        assert not res.get("http_requests")
    run = mlflow.run(token_tasks(tmp_path / "token", user="x-%s" % uid, expires_in_days=367), defaults="oidc")
    assert "between 1 and 366" in run.result("tok")["msg"]
    # a lifetime inside the rotation window would rotate on every run: refused before any request
    run = mlflow.run(token_tasks(tmp_path / "token", user="x-%s" % uid, expires_in_days=30), defaults="oidc")
    res = run.result("tok")
    assert run.rc != 0 and "every run would rotate it again" in res["msg"] and not res.get("http_requests")


def test_token_never_in_verbose_or_diff_output(mlflow, uid, tmp_path):
    sa = service_account(mlflow, uid, "leak")
    saved = tmp_path / "token"
    outputs = []
    run = mlflow.run(token_tasks(saved, user=sa, name="leak"), defaults="oidc", diff=True, verbosity=4).assert_ok()
    outputs.append(run.output)
    first = saved.read_text()
    saved.unlink()
    run = mlflow.run(token_tasks(saved, user=sa, name="leak", rotate="always"), defaults="oidc", diff=True,
                     verbosity=4).assert_ok()
    outputs.append(run.output)
    second = saved.read_text()
    # the result is censored for every callback, including the test's own recorder
    assert "token" not in run.result("tok") and run.result("tok").get("censored")
    for out in outputs:
        assert "mlflow_token" in out  # the output is really the verbose one
        for token in (first, second):
            assert token not in out
            assert token.split("_", 2)[2] not in out, "the secret part of a token leaked into the output"
