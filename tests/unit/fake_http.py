"""A scripted stand-in for requests.Session.request, for unit tests of the client (no network)."""
import json

import requests


class FakeResponse(object):
    def __init__(self, status=200, body=None, headers=None, html=None):
        self.status_code = status
        self.headers = dict(headers or {})
        if html is not None:
            self.text = html
            self.headers.setdefault("Content-Type", "text/html; charset=utf-8")
        elif body is None:
            self.text = ""
        else:
            self.text = json.dumps(body)
            self.headers.setdefault("Content-Type", "application/json")

    def json(self):
        return json.loads(self.text)

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(self.status_code)


class FakeServer(object):
    """Answers requests from a list of (method, path-prefix, response-or-exception) in order."""

    def __init__(self, script):
        self.script = list(script)
        self.calls = []

    def __call__(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        if not self.script:
            raise AssertionError("unexpected request %s %s" % (method, url))
        exp_method, exp_path, answer = self.script.pop(0)
        assert method == exp_method and exp_path in url, "expected %s %s, got %s %s" % (exp_method, exp_path, method, url)
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_with(script, **kw):
    from ansible_collections.prokube.mlflow.plugins.module_utils._client import MlflowClient
    sleeps = []
    kw.setdefault("username", "admin")
    kw.setdefault("password", "pat")
    client = MlflowClient("http://127.0.0.1:5000", sleep=sleeps.append, **kw)
    server = FakeServer(script)
    client.session.request = server
    return client, server, sleeps
