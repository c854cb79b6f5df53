"""The token rotation decision and date validation of mlflow_token: pure functions, no server."""
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowError
from ansible_collections.prokube.mlflow.plugins.modules.mlflow_token import (
    decide,
    iso_z,
    parse_time,
    requested_expiry,
    token_prefix_of,
)

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=timezone.utc)


def tok(days, active=True):
    return {"name": "default", "token_prefix": "1a2b3c4d", "active": active,
            "expires_at": (NOW + timedelta(days=days)).isoformat()}


@pytest.mark.parametrize("token, rotate, window, current_ok, mint, why", [
    (None, "expiring", 30, None, True, "no token"),
    (None, "never", 30, None, True, "no token"),
    (tok(100), "expiring", 30, None, False, "more than 30 days away"),
    (tok(100), "never", 30, None, False, "rotate=never"),
    (tok(100), "always", 30, None, True, "rotate=always"),
    (tok(10), "expiring", 30, None, True, "within rotate_before_days=30"),
    (tok(30), "expiring", 30, None, True, "within rotate_before_days=30"),  # the boundary rotates
    (tok(31), "expiring", 30, None, False, "more than 30 days away"),
    (tok(10), "expiring", 0, None, False, "more than 0 days away"),
    (tok(10), "never", 30, None, False, "rotate=never"),  # expiring soon, but never means never
    (tok(-1, active=False), "never", 30, None, True, "expired"),  # an expired token cannot be used: replace it
    (tok(5, active=False), "expiring", 30, None, True, "expired"),  # the server says inactive
    (tok(-1), "expiring", 30, None, True, "expired"),  # stale metadata: expiry in the past
    (tok(100), "expiring", 30, True, False, "more than 30 days away"),
    (tok(100), "expiring", 30, "does not authenticate (HTTP 401)", True, "current_token does not authenticate"),
    (tok(100), "never", 30, "does not authenticate (HTTP 401)", True, "current_token does not authenticate"),
])
def test_decide(token, rotate, window, current_ok, mint, why):
    got_mint, reason = decide(token, NOW, rotate, window, current_ok)
    assert got_mint is mint
    assert why in reason


def test_decide_reads_the_servers_timestamps():
    token = {"name": "ci", "active": True, "expires_at": "2026-12-20T16:38:03.553674+00:00"}
    assert decide(token, NOW, "expiring", 30)[0] is True
    assert decide(token, NOW, "expiring", 10)[0] is False


@pytest.mark.parametrize("text, expected", [
    ("2027-06-30", datetime(2027, 6, 30, tzinfo=timezone.utc)),
    ("2027-06-30T12:00:00Z", datetime(2027, 6, 30, 12, tzinfo=timezone.utc)),
    ("2027-06-30T12:00:00", datetime(2027, 6, 30, 12, tzinfo=timezone.utc)),  # no offset: UTC, like the server
    ("2027-06-30T14:00:00+02:00", datetime(2027, 6, 30, 12, tzinfo=timezone.utc)),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_requested_expiry_defaults_and_limits():
    assert requested_expiry(None, None, NOW) == NOW + timedelta(days=365)
    assert requested_expiry(None, 366, NOW) == NOW + timedelta(days=366)
    assert requested_expiry("2027-06-30", None, NOW) == datetime(2027, 6, 30, tzinfo=timezone.utc)
    assert iso_z(requested_expiry(None, 1, NOW)) == "2026-12-05T12:00:00Z"


@pytest.mark.parametrize("expiration, days, words", [
    ("2026-10-31", None, "in the past"),  # the admin guide's example date
    ("2026-12-04T12:00:00Z", None, "in the past"),  # now is not the future
    ("2027-12-06", None, "more than 366 days away"),
    ("next tuesday", None, "is not a date"),
    ("31.12.2027", None, "is not a date"),
    (None, 0, "between 1 and 366"),
    (None, 367, "between 1 and 366"),
])
def test_requested_expiry_rejects_with_one_line(expiration, days, words):
    with pytest.raises(MlflowError) as err:
        requested_expiry(expiration, days, NOW)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_token_prefix_of():
    made_up = "mlf_" + "1342cf41" + "_" + "not-a-real-secret" * 2  # a fixture, never a token a server issued
    assert token_prefix_of(made_up) == "1342cf41"
    assert token_prefix_of("a24charlegacysecret12345") is None
    assert token_prefix_of(None) is None
