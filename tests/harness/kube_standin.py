"""kube_standin: an HTTP-level stand-in for a kube-apiserver, for tests only (stdlib only).

No real kube-apiserver can be run on the machines this project is tested on (no container engine,
no installable apiserver binary), so the tests talk to this in-memory stand-in instead. It is the
project's one accepted fake. It speaks the JSON REST API the `kubernetes` Python client's
DynamicClient (and thus `kubernetes.core.k8s` / `k8s_info`) uses, closely enough that the modules
behave as against a real cluster, including idempotency (`changed=false` on a second run).

What it does:
  * discovery: /version, /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version};
    built-in core/v1, apps/v1, batch/v1, rbac.authorization.k8s.io/v1, networking.k8s.io/v1 and
    apiextensions.k8s.io/v1 kinds (stored as plain documents, see below);
  * CustomResourceDefinitions: validated lightly, defaulted, marked NamesAccepted=True and
    Established=True at once; their served versions become discoverable; deleting a CRD deletes
    its custom resources;
  * custom resources checked against the served version's openAPIV3Schema: unknown fields pruned
    (unless x-kubernetes-preserve-unknown-fields), schema defaults applied, `required`, `type`,
    `enum`, `nullable`, min/max length and value, `pattern` enforced -> 422 Invalid;
  * per object: metadata.uid, resourceVersion (one global counter, a string), generation
    (bumped when anything outside metadata/status changes), creationTimestamp; an update or patch
    that changes nothing does not change resourceVersion;
  * verbs: create, get, list (labelSelector `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
    `a notin (x,y)`; fieldSelector `path=value`/`path!=value`, e.g. metadata.name), list across
    namespaces, replace (409 on a stale resourceVersion), patch (merge, strategic merge with the
    well-known list merge keys, RFC 6902 JSON patch), delete, deletecollection, `status`
    subresource, `dryRun=All`;
  * Namespaces `default`, `kube-system` and `kube-public` exist at start;
  * namespaced objects need an existing Namespace (404), none can be created in a Terminating one
    (403); deleting a Namespace marks it Terminating, and after `namespace_delete_delay` seconds
    it and everything in it are gone;
  * Secret: `stringData` merged into base64 `data` and dropped, `type` defaults to Opaque and is
    immutable, `data` must be base64; label/annotation/ConfigMap values must be strings;
  * real `Status` bodies (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, Forbidden,
    MethodNotAllowed, UnsupportedMediaType) with the apiserver's messages and details.

What it does NOT do (a real cluster is needed for these):
  * no watch (405), no RBAC, no authentication (any or no token is accepted), no admission
    (webhooks, quotas, limit ranges, pod security), no managedFields and no server-side apply
    (`application/apply-patch+yaml` -> 415), no protobuf (JSON only; kubectl >= 1.32 needs more);
  * no controllers: no garbage collection (ownerReferences ignored), metadata.finalizers stored
    but not honoured, Deployments never get ready, Pods never run, Services get no clusterIP,
    no ServiceAccount tokens, `wait` on anything but conditions set here never succeeds;
  * built-in kinds get no schema validation or defaulting beyond what is listed above (Secret,
    ConfigMap, Namespace, CRD); strategic merge patch knows only the common list merge keys and
    `$patch: delete|replace`, no other directives; request bodies are JSON only (no YAML);
  * no CRD conversion (objects are served under any served version unchanged), no scale
    subresource, no pagination (`limit`/`continue` ignored), no Table output, no persistence.

Usage:
    python kube_standin.py --port 0 --kubeconfig PATH [--ready-file PATH]
It binds 127.0.0.1 only, writes a kubeconfig (token is a dummy, context namespace `default`) and,
if asked, a ready-file holding the port; it runs until SIGTERM/SIGINT. From Python (pytest):
    server, url = start_in_thread(port=0); ...; server.stop()
"""
from __future__ import annotations

import argparse
import base64
import copy
import http.server
import json
import os
import random
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

KUBE_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.0", "gitCommit": "kube-standin",
                "gitTreeState": "clean", "buildDate": "2024-08-13T00:00:00Z", "goVersion": "go1.22.5",
                "compiler": "gc", "platform": "linux/amd64"}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update"]
META_KEYS = ("apiVersion", "kind", "metadata")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SECRET_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
PRUNE = object()  # marker: drop this value while conforming to a schema

# Strategic merge patch: list fields merged by a key (all other lists are replaced).
SMP_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
                  "volumes": "name", "env": "name", "imagePullSecrets": "name", "secrets": "name",
                  "webhooks": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
                  "conditions": "type", "hostAliases": "ip", "ownerReferences": "uid"}


def now_timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# ----------------------------------------------------------------------------- errors
class ApiError(Exception):
    """An error answered as a Kubernetes `Status` body."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def _details(rt: "ResourceType", name: str, kind: str | None = None) -> dict:
    details = {"name": name, "group": rt.group, "kind": kind or rt.plural}
    return {k: v for k, v in details.items() if v}


def not_found(rt: "ResourceType", name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.qualified_resource} "{name}" not found', _details(rt, name))


def path_not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(rt: "ResourceType", name: str, causes: list[dict]) -> ApiError:
    texts = [f"{c['field']}: {c['message']}" for c in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details = _details(rt, name, kind=rt.kind)
    details["causes"] = causes
    return ApiError(422, "Invalid", f'{rt.qualified_kind} "{name}" is invalid: {summary}', details)


def cause(reason: str, field: str, message: str) -> dict:
    return {"reason": reason, "message": message, "field": field}


def unsupported_media_type(accepted: list[str], extra: str = "") -> ApiError:
    message = ("the body of the request was in an unknown format - accepted media types include: "
               + ", ".join(accepted) + extra)
    return ApiError(415, "UnsupportedMediaType", message)


# ----------------------------------------------------------------------------- resource types
@dataclass
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    status_subresource: bool = False
    schema: dict | None = None  # openAPIV3Schema of a custom resource version
    crd: str | None = None  # name of the defining CRD (None for built-in kinds)

    def is_builtin(self, group: str, plural: str) -> bool:
        return self.crd is None and (self.group, self.plural) == (group, plural)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def discovery_entries(self) -> list[dict]:
        entry = {"name": self.plural, "singularName": self.kind.lower(), "namespaced": self.namespaced,
                 "kind": self.kind, "verbs": VERBS}
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        entries = [entry]
        if self.status_subresource:
            entries.append({"name": f"{self.plural}/status", "singularName": "", "namespaced": self.namespaced,
                            "kind": self.kind, "verbs": ["get", "patch", "update"]})
        return entries


BUILTIN_TYPES = [
    # group, version, plural, kind, namespaced, shortNames, status subresource
    ("", "v1", "namespaces", "Namespace", False, ("ns",), True),
    ("", "v1", "secrets", "Secret", True, (), False),
    ("", "v1", "configmaps", "ConfigMap", True, ("cm",), False),
    ("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",), False),
    ("", "v1", "services", "Service", True, ("svc",), True),
    ("", "v1", "pods", "Pod", True, ("po",), True),
    ("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",), True),
    ("", "v1", "events", "Event", True, ("ev",), False),
    ("apps", "v1", "deployments", "Deployment", True, ("deploy",), True),
    ("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), True),
    ("batch", "v1", "jobs", "Job", True, (), True),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", True, (), False),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, (), False),
    ("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, (), False),
    ("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False, (), False),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), True),
    ("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True, ("netpol",), False),
    ("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
     ("crd", "crds"), True),
]


# ----------------------------------------------------------------------------- selectors
def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


_LABEL_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_TERM = re.compile(rf"^({_LABEL_KEY})\s+(in|notin)\s*\(([^)]*)\)$")
_EQ_TERM = re.compile(rf"^({_LABEL_KEY})\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)$")
_EXISTS_TERM = re.compile(rf"^(!?)\s*({_LABEL_KEY})$")


def parse_label_selector(selector: str):
    """Returns a predicate over a labels dict; 400 BadRequest when the selector cannot be parsed."""
    tests = []
    for term in _split_top_level(selector or ""):
        if m := _SET_TERM.match(term):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                tests.append(lambda labels, k=key, vs=values: k in labels and labels[k] in vs)
            else:
                tests.append(lambda labels, k=key, vs=values: labels.get(k) not in vs)
        elif m := _EQ_TERM.match(term):
            key, op, value = m.groups()
            if op == "!=":
                tests.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                tests.append(lambda labels, k=key, v=value: k in labels and labels[k] == v)
        elif m := _EXISTS_TERM.match(term):
            negate, key = m.group(1) == "!", m.group(2)
            tests.append(lambda labels, k=key, n=negate: (k in labels) != n)
        else:
            raise bad_request(f'unable to parse requirement: found \'{term}\', expected a label selector term')
    return lambda labels: all(test(labels or {}) for test in tests)


def parse_field_selector(selector: str):
    """Returns a predicate over an object; supports `path=value`, `path==value`, `path!=value`."""
    tests = []
    for term in _split_top_level(selector or ""):
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{term}'")
        path, op, value = m.group(1).split("."), m.group(2), m.group(3).strip()
        tests.append(lambda obj, p=path, o=op, v=value: (_field_text(obj, p) == v) != (o == "!="))
    return lambda obj: all(test(obj) for test in tests)


def _field_text(obj, path: list[str]) -> str:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return "" if obj is None else (json.dumps(obj) if isinstance(obj, bool) else str(obj))


# ----------------------------------------------------------------------------- patches
def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target, patch, field: str = ""):
    """Merge patch, except that lists under well-known fields are merged by their merge key.

    Supports `$patch: delete` on list items and `$patch: replace` on maps; other `$` directives
    (e.g. `$setElementOrder/...`, `$retainKeys`) are ignored."""
    if isinstance(patch, list):
        key = _smp_merge_key(field, target, patch)
        if not key:
            return [_strip_directives(item) for item in patch]
        result = copy.deepcopy(target)
        for item in patch:
            index = next((i for i, old in enumerate(result) if old[key] == item[key]), None)
            if item.get("$patch") == "delete":
                if index is not None:
                    del result[index]
            elif index is None:
                result.append(_strip_directives(item))
            else:
                result[index] = strategic_merge_patch(result[index], item, "")
        return result
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = strategic_merge_patch(result.get(key), value, key)
    return result


def _smp_merge_key(field: str, target, patch) -> str | None:
    if not isinstance(target, list):
        return None
    items = target + patch
    key = SMP_MERGE_KEYS.get(field)
    if field == "ports":
        key = "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    if key and all(isinstance(i, dict) and key in i for i in items):
        return key
    return None


def _strip_directives(value):
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def json_patch(document, operations):
    """RFC 6902 JSON patch; raises ValueError on a failing operation."""
    if not isinstance(operations, list):
        raise ValueError("json patch must be a list of operations")
    doc = copy.deepcopy(document)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise ValueError(f"invalid operation {op!r}")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _pointer_add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc, _removed = _pointer_remove(doc, path)
        elif kind == "replace":
            doc, _removed = _pointer_remove(doc, path)
            doc = _pointer_add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "test":
            if _pointer_get(doc, path) != op["value"]:
                raise ValueError(f"testing value {path} failed")
        elif kind == "move":
            doc, value = _pointer_remove(doc, op["from"])
            doc = _pointer_add(doc, path, value)
        elif kind == "copy":
            doc = _pointer_add(doc, path, copy.deepcopy(_pointer_get(doc, op["from"])))
        else:
            raise ValueError(f"unexpected kind: {kind}")
    return doc


def _pointer_parts(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _pointer_parent(doc, path: str):
    parts = _pointer_parts(path)
    if not parts:
        raise ValueError("the whole document cannot be the target of this operation")
    parent = doc
    for part in parts[:-1]:
        parent = _pointer_step(parent, part, path)
    return parent, parts[-1]


def _pointer_step(container, part: str, path: str):
    if isinstance(container, dict) and part in container:
        return container[part]
    if isinstance(container, list) and part.isdigit() and int(part) < len(container):
        return container[int(part)]
    raise ValueError(f"path {path!r} does not exist")


def _pointer_get(doc, path: str):
    for part in _pointer_parts(path):
        doc = _pointer_step(doc, part, path)
    return doc


def _pointer_add(doc, path: str, value):
    if path == "":
        return value
    parent, last = _pointer_parent(doc, path)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list) and (last == "-" or (last.isdigit() and int(last) <= len(parent))):
        parent.insert(len(parent) if last == "-" else int(last), value)
    else:
        raise ValueError(f"path {path!r} cannot be added to")
    return doc


def _pointer_remove(doc, path: str):
    parent, last = _pointer_parent(doc, path)
    value = _pointer_step(parent, last, path)
    if isinstance(parent, dict):
        del parent[last]
    else:
        del parent[int(last)]
    return doc, value


# ----------------------------------------------------------------------------- schema checks
def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "unknown")


def _type_matches(value, wanted: str) -> bool:
    actual = _json_type(value)
    return actual == wanted or (wanted == "number" and actual == "integer")


def conform_to_schema(value, schema: dict, field: str, causes: list):
    """Validates `value` against a structural schema; returns it pruned and defaulted, or PRUNE."""
    if value is None:
        return None if schema.get("nullable") else PRUNE
    if schema.get("x-kubernetes-int-or-string"):
        if _json_type(value) not in ("integer", "string"):
            causes.append(cause("FieldValueTypeInvalid", field,
                                f'Invalid value: "{_json_type(value)}": {field} in body must be of type int-or-string'))
        return value
    wanted = schema.get("type") or ("object" if "properties" in schema else None)
    if wanted and not _type_matches(value, wanted):
        actual = _json_type(value)
        causes.append(cause("FieldValueTypeInvalid", field,
                            f'Invalid value: "{actual}": {field} in body must be of type {wanted}: "{actual}"'))
        return value
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(json.dumps(v) for v in schema["enum"])
        causes.append(cause("FieldValueNotSupported", field,
                            f"Unsupported value: {json.dumps(value)}: supported values: {supported}"))
    if isinstance(value, dict):
        return _conform_object(value, schema, field, causes)
    if isinstance(value, list):
        item_schema = schema.get("items") if isinstance(schema.get("items"), dict) else None
        if not item_schema:
            return value
        items = [conform_to_schema(v, item_schema, f"{field}[{i}]", causes) for i, v in enumerate(value)]
        return [v for v in items if v is not PRUNE]
    _check_scalar_limits(value, schema, field, causes)
    return value


def _conform_object(value: dict, schema: dict, field: str, causes: list) -> dict:
    properties = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    prefix = f"{field}." if field else ""
    result = {}
    for key, item in value.items():
        if key in properties:
            conformed = conform_to_schema(item, properties[key], prefix + key, causes)
        elif isinstance(additional, dict):
            conformed = conform_to_schema(item, additional, prefix + key, causes)
        elif additional is True or preserve:
            conformed = item
        else:
            conformed = PRUNE  # unknown field
        if conformed is not PRUNE:
            result[key] = conformed
    for key, sub in properties.items():
        if key not in result and "default" in sub:
            result[key] = copy.deepcopy(sub["default"])
    for key in schema.get("required") or []:
        if key not in result:
            causes.append(cause("FieldValueRequired", prefix + key, "Required value"))
    return result


def _check_scalar_limits(value, schema: dict, field: str, causes: list) -> None:
    shown = json.dumps(value)
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            causes.append(cause("FieldValueInvalid", field, f"Invalid value: {shown}: {field} in body "
                                f"should be at least {schema['minLength']} chars long"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(cause("FieldValueTooLong", field, f"Too long: may not be longer than {schema['maxLength']}"))
        if "pattern" in schema and not re.search(schema["pattern"], value):
            causes.append(cause("FieldValueInvalid", field, f"Invalid value: {shown}: {field} in body "
                                f"should match '{schema['pattern']}'"))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            causes.append(cause("FieldValueInvalid", field, f"Invalid value: {shown}: {field} in body "
                                f"should be greater than or equal to {schema['minimum']}"))
        if "maximum" in schema and value > schema["maximum"]:
            causes.append(cause("FieldValueInvalid", field, f"Invalid value: {shown}: {field} in body "
                                f"should be less than or equal to {schema['maximum']}"))


def _strip_nulls(value):
    """Built-in kinds are Go structs: a JSON null decodes to an omitted field."""
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


# ----------------------------------------------------------------------------- the cluster
class ClusterState:
    """All objects and resource types, guarded by one lock."""

    def __init__(self, namespace_delete_delay: float = 1.0):
        self.lock = threading.RLock()
        self.namespace_delete_delay = namespace_delete_delay
        self.resource_version = 0
        self.objects: dict[tuple, dict] = {}  # (group, plural, namespace, name) -> object
        self.types: dict[tuple, ResourceType] = {}  # (group, version, plural) -> type
        for group, version, plural, kind, namespaced, short, status in BUILTIN_TYPES:
            self.types[(group, version, plural)] = ResourceType(group, version, plural, kind, namespaced,
                                                                short, status)
        namespaces = self.find_type("", "v1", "namespaces")
        for name in ("default", "kube-system", "kube-public"):
            self.create(namespaces, None, {"metadata": {"name": name}})

    # -- discovery
    def find_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def group_versions(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        with self.lock:
            for group, version, _plural in self.types:
                if group and version not in groups.setdefault(group, []):
                    groups[group].append(version)
        return groups

    def api_group(self, group: str) -> dict | None:
        versions = self.group_versions().get(group)
        if not versions:
            return None
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def resource_list(self, group: str, version: str) -> dict | None:
        with self.lock:
            types = [t for (g, v, _plural), t in self.types.items() if g == group and v == version]
        if not types:
            return None
        resources = [entry for t in types for entry in t.discovery_entries()]
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": resources}

    # -- reads
    def get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        with self.lock:
            obj = self.objects.get(self._key(rt, namespace, name))
            if obj is None:
                raise not_found(rt, name)
            return self._present(rt, obj)

    def list(self, rt: ResourceType, namespace: str | None, label_selector: str = "",
             field_selector: str = "") -> dict:
        label_match, field_match = parse_label_selector(label_selector), parse_field_selector(field_selector)
        with self.lock:
            items = [self._present(rt, obj) for (group, plural, ns, _name), obj in sorted(self.objects.items())
                     if (group, plural) == (rt.group, rt.plural) and (namespace is None or ns == namespace)]
            resource_version = str(self.resource_version)
        items = [i for i in items if label_match(i["metadata"].get("labels")) and field_match(i)]
        return {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                "metadata": {"resourceVersion": resource_version}, "items": items}

    # -- writes
    def create(self, rt: ResourceType, namespace: str | None, body: dict, dry_run: bool = False) -> dict:
        meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
        name = meta.get("name") or ""
        if not name and meta.get("generateName"):
            name = meta["generateName"] + "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
        if not name:
            raise invalid(rt, "", [cause("FieldValueRequired", "metadata.name", "Required value: name or "
                                         "generateName is required")])
        with self.lock:
            self._require_namespace(rt, namespace, name)
            if self._key(rt, namespace, name) in self.objects:
                raise ApiError(409, "AlreadyExists", f'{rt.qualified_resource} "{name}" already exists',
                               _details(rt, name))
            return self._write(rt, namespace, name, body, None, dry_run)

    def replace(self, rt: ResourceType, namespace: str | None, name: str, body: dict,
                subresource: str | None = None, dry_run: bool = False) -> dict:
        with self.lock:
            old = self._existing(rt, namespace, name)
            self._check_resource_version(rt, name, body, old)
            return self._write(rt, namespace, name, body, old, dry_run, subresource)

    def patch(self, rt: ResourceType, namespace: str | None, name: str, content_type: str, patch,
              subresource: str | None = None, dry_run: bool = False) -> dict:
        with self.lock:
            old = self._existing(rt, namespace, name)
            current = self._present(rt, old)
            if content_type == "application/json-patch+json":
                try:
                    patched = json_patch(current, patch)
                except (ValueError, KeyError, TypeError) as exc:
                    raise ApiError(422, "Invalid", f"the server rejected our request due to an error in our "
                                                   f"request: {exc}") from None
            elif not isinstance(patch, dict):
                raise bad_request("the patch must be a JSON object")
            elif content_type == "application/merge-patch+json":
                patched = merge_patch(current, patch)
            else:
                patched = strategic_merge_patch(current, patch)
            if not isinstance(patched, dict):
                raise ApiError(422, "Invalid", "the patched document is not an object")
            self._check_resource_version(rt, name, patched, old)
            return self._write(rt, namespace, name, patched, old, dry_run, subresource)

    def delete(self, rt: ResourceType, namespace: str | None, name: str, dry_run: bool = False) -> dict:
        with self.lock:
            old = self._existing(rt, namespace, name)
            if dry_run:
                return self._present(rt, old)
            if rt.is_builtin("", "namespaces"):
                return self._start_namespace_deletion(rt, old)
            del self.objects[self._key(rt, namespace, name)]
            self.resource_version += 1
            if rt.is_builtin("apiextensions.k8s.io", "customresourcedefinitions"):
                self._drop_crd(old)
            return self._present(rt, old)

    def delete_collection(self, rt: ResourceType, namespace: str | None, label_selector: str,
                          field_selector: str, dry_run: bool = False) -> dict:
        with self.lock:
            listed = self.list(rt, namespace, label_selector, field_selector)
            listed["items"] = [self.delete(rt, i["metadata"].get("namespace"), i["metadata"]["name"], dry_run)
                               for i in listed["items"]]
            return listed

    # -- internals
    @staticmethod
    def _key(rt: ResourceType, namespace: str | None, name: str) -> tuple:
        return (rt.group, rt.plural, namespace if rt.namespaced else "", name)

    @staticmethod
    def _present(rt: ResourceType, obj: dict) -> dict:
        shown = copy.deepcopy(obj)
        shown["apiVersion"], shown["kind"] = rt.api_version, rt.kind
        return shown

    def _existing(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        obj = self.objects.get(self._key(rt, namespace, name))
        if obj is None:
            raise not_found(rt, name)
        return obj

    def _require_namespace(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        if not rt.namespaced:
            return
        ns_type = self.find_type("", "v1", "namespaces")
        ns_obj = self.objects.get(self._key(ns_type, None, namespace or ""))
        if ns_obj is None:
            raise not_found(ns_type, namespace or "")
        if ns_obj.get("status", {}).get("phase") == "Terminating":
            raise ApiError(403, "Forbidden", f'{rt.qualified_resource} "{name}" is forbidden: unable to create new '
                           f"content in namespace {namespace} because it is being terminated", _details(rt, name))

    @staticmethod
    def _check_resource_version(rt: ResourceType, name: str, body: dict, old: dict) -> None:
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", f'Operation cannot be fulfilled on {rt.qualified_resource} "{name}": the '
                           "object has been modified; please apply your changes to the latest version and try again",
                           _details(rt, name))

    def _write(self, rt: ResourceType, namespace: str | None, name: str, body: dict, old: dict | None,
               dry_run: bool, subresource: str | None = None) -> dict:
        """Completes, normalises and validates `body`, then stores it unless it equals `old`."""
        if not isinstance(body.get("metadata", {}), dict):
            raise bad_request("metadata must be an object")
        new = copy.deepcopy(body)
        if subresource == "status":
            status, new = new.get("status"), copy.deepcopy(old)
            new.pop("status", None)
            if status is not None:
                new["status"] = status
        elif rt.status_subresource:
            new.pop("status", None)
            if old is not None and "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        new["apiVersion"], new["kind"] = rt.api_version, rt.kind
        meta = new.setdefault("metadata", {})
        self._check_identity(rt, namespace, name, meta)
        meta["name"] = name
        if rt.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "resourceVersion", "generation"):
            meta.pop(field, None)
            if old is not None and field in old["metadata"]:
                meta[field] = old["metadata"][field]
        if old is None:
            meta["uid"], meta["creationTimestamp"] = str(uuid.uuid4()), now_timestamp()
        for field in ("labels", "annotations"):
            if not meta.get(field):
                meta.pop(field, None)
        new = self._normalise(rt, new, old)
        meta = new["metadata"]
        if old is not None:
            if _without_versions(new) == _without_versions(old):
                return self._present(rt, old)
            changed_content = _content(new) != _content(old)
            meta["generation"] = old["metadata"].get("generation", 1) + (1 if changed_content else 0)
        else:
            meta["generation"] = 1
        if dry_run:
            return self._present(rt, new)
        self.resource_version += 1
        meta["resourceVersion"] = str(self.resource_version)
        self.objects[self._key(rt, namespace, name)] = new
        if rt.is_builtin("apiextensions.k8s.io", "customresourcedefinitions"):
            self._register_crd(new)
        return self._present(rt, new)

    @staticmethod
    def _check_identity(rt: ResourceType, namespace: str | None, name: str, meta: dict) -> None:
        if meta.get("name") and meta["name"] != name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        if rt.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        pattern = DNS_LABEL if rt.is_builtin("", "namespaces") else DNS_SUBDOMAIN
        if not pattern.match(name) or len(name) > (63 if pattern is DNS_LABEL else 253):
            what = "RFC 1123 label" if pattern is DNS_LABEL else "RFC 1123 subdomain"
            message = (f'Invalid value: "{name}": a lowercase {what} must consist of lower case alphanumeric '
                       "characters, '-' or '.', and must start and end with an alphanumeric character")
            raise invalid(rt, name, [cause("FieldValueInvalid", "metadata.name", message)])
        for field in ("labels", "annotations"):
            values = meta.get(field) or {}
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                raise bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: json: '
                                  f"cannot unmarshal non-string into Go struct field ObjectMeta.metadata.{field} "
                                  "of type string")

    def _normalise(self, rt: ResourceType, obj: dict, old: dict | None) -> dict:
        if rt.crd is not None:
            return self._conform_custom_resource(rt, obj)
        obj = _strip_nulls(obj)
        if rt.is_builtin("", "secrets"):
            normalise_secret(rt, obj, old)
        elif rt.is_builtin("", "configmaps"):
            if not all(isinstance(v, str) for v in (obj.get("data") or {}).values()):
                raise bad_request('ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot '
                                  "unmarshal non-string into Go struct field ConfigMap.data of type string")
        elif rt.is_builtin("", "namespaces"):
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = copy.deepcopy((old or {}).get("status") or {"phase": "Active"})
        elif rt.is_builtin("apiextensions.k8s.io", "customresourcedefinitions"):
            normalise_crd(rt, obj, old)
        return obj

    @staticmethod
    def _conform_custom_resource(rt: ResourceType, obj: dict) -> dict:
        schema = copy.deepcopy(rt.schema or {})
        properties = {k: v for k, v in (schema.get("properties") or {}).items() if k not in META_KEYS}
        schema["properties"] = properties
        schema["required"] = [k for k in schema.get("required") or [] if k not in META_KEYS]
        schema.setdefault("type", "object")
        causes: list[dict] = []
        body = {k: v for k, v in obj.items() if k not in META_KEYS}
        result = conform_to_schema(body, schema, "", causes)
        if causes:
            raise invalid(rt, obj["metadata"]["name"], causes)
        result.update({k: obj[k] for k in META_KEYS})
        return result

    def _register_crd(self, crd: dict) -> None:
        spec = crd["spec"]
        for key in [k for k, t in self.types.items() if t.crd == crd["metadata"]["name"]]:
            del self.types[key]
        for version in spec["versions"]:
            if version.get("served"):
                schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
                self.types[(spec["group"], version["name"], spec["names"]["plural"])] = ResourceType(
                    spec["group"], version["name"], spec["names"]["plural"], spec["names"]["kind"],
                    spec["scope"] == "Namespaced", tuple(spec["names"].get("shortNames") or ()),
                    "status" in (version.get("subresources") or {}), schema, crd["metadata"]["name"])

    def _drop_crd(self, crd: dict) -> None:
        group, plural = crd["spec"]["group"], crd["spec"]["names"]["plural"]
        for key in [k for k in self.objects if k[:2] == (group, plural)]:
            del self.objects[key]
        for key in [k for k, t in self.types.items() if t.crd == crd["metadata"]["name"]]:
            del self.types[key]

    def _start_namespace_deletion(self, rt: ResourceType, namespace: dict) -> dict:
        if namespace["status"].get("phase") != "Terminating":
            namespace["status"]["phase"] = "Terminating"
            namespace["metadata"]["deletionTimestamp"] = now_timestamp()
            self.resource_version += 1
            namespace["metadata"]["resourceVersion"] = str(self.resource_version)
            timer = threading.Timer(self.namespace_delete_delay, self._finish_namespace_deletion,
                                    (namespace["metadata"]["name"], namespace["metadata"]["uid"]))
            timer.daemon = True
            timer.start()
        return self._present(rt, namespace)

    def _finish_namespace_deletion(self, name: str, uid: str) -> None:
        with self.lock:
            current = self.objects.get(("", "namespaces", "", name))
            if current is None or current["metadata"]["uid"] != uid:
                return
            for key in [k for k in self.objects if k[2] == name or k == ("", "namespaces", "", name)]:
                del self.objects[key]
            self.resource_version += 1


def _without_versions(obj: dict) -> dict:
    """The object minus what the server changes on every write (and the served apiVersion)."""
    trimmed = {k: v for k, v in obj.items() if k != "apiVersion"}
    trimmed["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "generation")}
    return trimmed


def _content(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def normalise_secret(rt: ResourceType, obj: dict, old: dict | None) -> None:
    """Merges `stringData` into base64 `data`, defaults and freezes `type`, checks keys and base64."""
    data = obj.get("data") or {}
    if not isinstance(data, dict):
        raise bad_request('Secret in version "v1" cannot be handled as a Secret: data must be an object')
    for key, value in data.items():
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, TypeError):
            raise bad_request(f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data '
                              f"in data.{key}") from None
    for key, value in (obj.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    if data:
        obj["data"] = data
    else:
        obj.pop("data", None)
    obj["type"] = obj.get("type") or "Opaque"
    name = obj["metadata"]["name"]
    bad_keys = [k for k in data if not SECRET_KEY.match(k)]
    if bad_keys:
        raise invalid(rt, name, [cause("FieldValueInvalid", f"data[{k}]", f'Invalid value: "{k}": a valid config '
                                       "key must consist of alphanumeric characters, '-', '_' or '.'")
                                 for k in bad_keys])
    if old is not None and old.get("type") != obj["type"]:
        raise invalid(rt, name, [cause("FieldValueInvalid", "type", f'Invalid value: "{obj["type"]}": field is '
                                       "immutable")])
    if old is not None and old.get("immutable") and old.get("data") != obj.get("data"):
        raise invalid(rt, name, [cause("FieldValueForbidden", "data", "Forbidden: field is immutable when "
                                       "`immutable` is set")])


def normalise_crd(rt: ResourceType, obj: dict, old: dict | None) -> None:
    """Validates a CustomResourceDefinition lightly, defaults it and marks it established."""
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    versions = spec.get("versions") or []
    name, causes = obj["metadata"]["name"], []
    for field, value in (("spec.group", spec.get("group")), ("spec.names.plural", names.get("plural")),
                         ("spec.names.kind", names.get("kind")), ("spec.versions", versions)):
        if not value:
            causes.append(cause("FieldValueRequired", field, "Required value"))
    if spec.get("group") and "." not in spec["group"]:
        causes.append(cause("FieldValueInvalid", "spec.group", f'Invalid value: "{spec["group"]}": should be a domain '
                            "with at least one dot"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(cause("FieldValueNotSupported", "spec.scope", f'Unsupported value: "{spec.get("scope")}": '
                            'supported values: "Cluster", "Namespaced"'))
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        causes.append(cause("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": must be spec.names.plural+'
                            '"."+spec.group'))
    if versions and sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(cause("FieldValueInvalid", "spec.versions", "Invalid value: must have exactly one version "
                            "marked as storage version"))
    for index, version in enumerate(versions):
        if not (version.get("schema") or {}).get("openAPIV3Schema"):
            causes.append(cause("FieldValueRequired", f"spec.versions[{index}].schema.openAPIV3Schema",
                                "Required value: schemas are required"))
    if old is not None and old["spec"].get("scope") != spec.get("scope"):
        causes.append(cause("FieldValueInvalid", "spec.scope", "Invalid value: field is immutable"))
    if causes:
        raise invalid(rt, name, causes)
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    spec.setdefault("conversion", {"strategy": "None"})
    old_status = (old or {}).get("status") or {}
    old_conditions = {c.get("type"): c for c in old_status.get("conditions") or []}

    def condition(kind: str, reason: str, message: str) -> dict:
        existing = old_conditions.get(kind)
        if existing and existing.get("status") == "True":
            return existing
        return {"type": kind, "status": "True", "lastTransitionTime": now_timestamp(), "reason": reason,
                "message": message}

    stored = list(old_status.get("storedVersions") or [])
    storage = next(v["name"] for v in versions if v.get("storage"))
    if storage not in stored:
        stored.append(storage)
    obj["status"] = {"acceptedNames": copy.deepcopy(names), "storedVersions": stored, "conditions": [
        condition("NamesAccepted", "NoConflicts", "no conflicts found"),
        condition("Established", "InitialNamesAccepted", "the initial names have been accepted")]}


# ----------------------------------------------------------------------------- HTTP routing
def handle_request(cluster: ClusterState, method: str, path: str, query: dict, content_type: str,
                   raw_body: bytes, server_address: str = "") -> tuple[int, object]:
    """Answers one API request; returns (HTTP status, JSON-able body or plain text)."""
    parts = [p for p in path.split("/") if p]
    if method == "GET":
        if path in ("/healthz", "/livez", "/readyz"):
            return 200, "ok"
        discovery = _discovery(cluster, parts, server_address)
        if discovery is not None:
            return 200, discovery
    if len(parts) >= 3 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise path_not_found()
    namespace = None
    with cluster.lock:
        target = cluster.find_type(group, version, rest[2]) if len(rest) >= 3 and rest[0] == "namespaces" else None
        if target is not None and target.namespaced:
            namespace, rest = rest[1], rest[2:]
        rt = cluster.find_type(group, version, rest[0])
    if rt is None or len(rest) > 3 or (rt.namespaced and namespace is None and len(rest) > 1):
        raise path_not_found()
    name = rest[1] if len(rest) > 1 else None
    subresource = rest[2] if len(rest) > 2 else None
    if subresource is not None and (subresource != "status" or not rt.status_subresource):
        raise path_not_found()
    dry_run = query.get("dryRun") == "All"
    media_type = content_type.split(";")[0].strip().lower()

    if name is None:
        if method == "GET":
            if query.get("watch") in ("true", "1"):
                raise ApiError(405, "MethodNotAllowed", "watch is not supported by this kube-apiserver stand-in")
            return 200, cluster.list(rt, namespace, query.get("labelSelector", ""), query.get("fieldSelector", ""))
        if method == "POST":
            body = _decode_object(raw_body, media_type)
            _check_body_type(rt, body)
            return 201, cluster.create(rt, namespace, body, dry_run)
        if method == "DELETE":
            return 200, cluster.delete_collection(rt, namespace, query.get("labelSelector", ""),
                                                  query.get("fieldSelector", ""), dry_run)
    else:
        if method == "GET":
            return 200, cluster.get(rt, namespace, name)
        if method == "PUT":
            body = _decode_object(raw_body, media_type)
            _check_body_type(rt, body)
            return 200, cluster.replace(rt, namespace, name, body, subresource, dry_run)
        if method == "PATCH":
            return 200, cluster.patch(rt, namespace, name, media_type, _decode_patch(rt, raw_body, media_type),
                                      subresource, dry_run)
        if method == "DELETE" and subresource is None:
            return 200, cluster.delete(rt, namespace, name, dry_run)
    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def _discovery(cluster: ClusterState, parts: list[str], server_address: str):
    if parts == ["version"]:
        return dict(KUBE_VERSION)
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}
    if parts == ["api", "v1"]:
        return cluster.resource_list("", "v1")
    if parts == ["apis"]:
        groups = [cluster.api_group(g) for g in sorted(cluster.group_versions())]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [g for g in groups if g]}
    if len(parts) == 2 and parts[0] == "apis":
        group = cluster.api_group(parts[1])
        if group is None:
            raise path_not_found()
        return {"kind": "APIGroup", "apiVersion": "v1", **group}
    if len(parts) == 3 and parts[0] == "apis":
        resources = cluster.resource_list(parts[1], parts[2])
        if resources is None:
            raise path_not_found()
        return resources
    return None


def _decode_json(raw_body: bytes):
    try:
        return json.loads(raw_body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None


def _decode_object(raw_body: bytes, media_type: str) -> dict:
    if media_type not in ("application/json", ""):
        raise unsupported_media_type(["application/json"], " (this stand-in does not accept YAML or protobuf)")
    body = _decode_json(raw_body)
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    return body


def _decode_patch(rt: ResourceType, raw_body: bytes, media_type: str):
    accepted = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
    if rt.crd is None:
        accepted.insert(2, "application/strategic-merge-patch+json")
    if media_type == "application/apply-patch+yaml":
        raise unsupported_media_type(accepted, " (server-side apply is not supported by this stand-in)")
    if media_type not in accepted:
        raise unsupported_media_type(accepted)
    return _decode_json(raw_body)


def _check_body_type(rt: ResourceType, body: dict) -> None:
    if body.get("apiVersion") and body["apiVersion"] != rt.api_version:
        raise bad_request(f"the API version in the data ({body['apiVersion']}) does not match the expected API "
                          f"version ({rt.api_version})")
    if body.get("kind") and body["kind"] != rt.kind:
        raise bad_request(f"the kind in the data ({body['kind']}) does not match the expected kind ({rt.kind})")


# ----------------------------------------------------------------------------- HTTP server
class KubeRequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-standin/1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid 40 ms delayed-ACK stalls

    def do_GET(self):  # noqa: N802 (http.server naming)
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self):  # noqa: N802
        self._dispatch("PUT")

    def do_PATCH(self):  # noqa: N802
        self._dispatch("PATCH")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            host, port = self.server.server_address[:2]
            code, payload = handle_request(self.server.cluster, method, url.path, query,
                                           self.headers.get("Content-Type", ""), raw_body, f"{host}:{port}")
        except ApiError as exc:
            code, payload = exc.code, exc.status()
        except Exception as exc:  # a bug in the stand-in: answer like the apiserver would
            code, payload = 500, ApiError(500, "InternalError", f"kube-standin internal error: {exc!r}").status()
        if isinstance(payload, str):
            data, ctype = payload.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):  # noqa: A002 (signature of the base class)
        if self.server.verbose:
            super().log_message(format, *args)


class StandinServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int = 0, namespace_delete_delay: float = 1.0, verbose: bool = False):
        super().__init__(("127.0.0.1", port), KubeRequestHandler)  # loopback only, on purpose
        self.cluster = ClusterState(namespace_delete_delay)
        self.verbose = verbose

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start_in_thread(port: int = 0, namespace_delete_delay: float = 1.0, verbose: bool = False):
    """Starts a stand-in serving from a daemon thread; returns (server, url). Stop it with server.stop()."""
    server = StandinServer(port, namespace_delete_delay, verbose)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="kube-standin", daemon=True).start()
    return server, server.url


def write_kubeconfig(path: str, url: str, namespace: str = "default") -> None:
    """Writes a kubeconfig naming `url`, with a dummy token and a current-context in `namespace`."""
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: kube-standin
  cluster:
    server: {url}
users:
- name: kube-standin
  user:
    token: kube-standin-dummy-token
contexts:
- name: kube-standin
  context:
    cluster: kube-standin
    user: kube-standin
    namespace: {namespace}
current-context: kube-standin
preferences: {{}}
"""
    _write_atomically(path, text)


def _write_atomically(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="In-memory kube-apiserver stand-in for tests (127.0.0.1 only).")
    parser.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--kubeconfig", required=True, help="where to write a kubeconfig for this server")
    parser.add_argument("--ready-file", help="written with the port once the server accepts connections")
    parser.add_argument("--namespace-delete-delay", type=float, default=1.0,
                        help="seconds a deleted Namespace stays Terminating (default 1)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    server = StandinServer(args.port, args.namespace_delete_delay, args.verbose)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="kube-standin", daemon=True)
    thread.start()
    write_kubeconfig(args.kubeconfig, server.url)
    if args.ready_file:
        _write_atomically(args.ready_file, f"{server.server_address[1]}\n")
    print(f"kube-standin serving {server.url} (kubeconfig {args.kubeconfig})", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    thread.join(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
