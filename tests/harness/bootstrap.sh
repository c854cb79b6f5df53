#!/usr/bin/env bash
# Creates every environment the demo and the test suite need, inside the work tree:
#   .venv/controller  Python 3.11: ansible-core, requests, kubernetes, pytest, molecule, ansible-lint
#   .venv/mlflow11    Python 3.12: mlflow-oidc-auth 11.0.2 (the real tracking server under test)
#   .venv/mlflow5     Python 3.12: mlflow-oidc-auth[full] 5.7.0 (the admin guide's API generation)
#   .venv/idp         oidc-provider-mock (a real OIDC provider for interactive sign-in)
#   .cache/collections/ansible_collections/kubernetes/core  (from the PyPI `ansible` wheel)
# Idempotent: a venv whose stamp matches its requirements is kept. Downloads cached in .cache/pip.
# Usage: bootstrap.sh [controller] [mlflow11] [mlflow5] [idp] [collections]   (default: all)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REQ="$ROOT/tests/harness/requirements"
export PIP_CACHE_DIR="$ROOT/.cache/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$ROOT/.venv" "$ROOT/.cache"

log() { printf '[bootstrap %s] %s\n' "$(date +%T)" "$*" >&2; }

# Find an interpreter of the wanted minor version that really runs (pyenv shims fail unless selected).
find_python() {
  local ver="$1" cand
  for cand in "python$ver" "$HOME/.pyenv/versions/$ver".*/bin/"python$ver" /usr/bin/"python$ver" /usr/local/bin/"python$ver"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import venv' >/dev/null 2>&1; then
      command -v "$cand"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local full; full="$(pyenv versions --bare 2>/dev/null | grep -E "^${ver//./\\.}\.[0-9]+$" | sort -V | tail -n1 || true)"
    if [ -n "$full" ] && PYENV_VERSION="$full" "python$ver" -c 'import venv' >/dev/null 2>&1; then
      PYENV_VERSION="$full" "python$ver" -c 'import sys; print(sys.executable)'; return 0
    fi
  fi
  log "no working python$ver found"; return 1
}

make_venv() {  # name python-version requirements-file
  local name="$1" ver="$2" req="$3" dir="$ROOT/.venv/$1" stamp
  stamp="$(cat "$req" | sha256sum | cut -c1-16)-$ver"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    log "$name: up to date"; return 0
  fi
  local py; py="$(find_python "$ver")"
  log "$name: creating with $py"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  # pip's configured extra indexes that do not exist on this machine only produce noise: filter it
  "$dir/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "Location 'file://" || true
  "$dir/bin/python" -m pip install -q -r "$req" 2>&1 | grep -v "Location 'file://" || true
  "$dir/bin/python" -m pip check >/dev/null 2>&1 || "$dir/bin/python" -m pip install -q -r "$req"  # real errors surface here
  echo "$stamp" > "$dir/.stamp"
  log "$name: ready"
}

collections() {
  local dest="$ROOT/.cache/collections" ver
  ver="$(grep -E '^ansible==' "$REQ/ansible-wheel.txt" | cut -d= -f3)"
  if [ -f "$dest/ansible_collections/kubernetes/core/MANIFEST.json" ] && [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$ver" ]; then
    log "kubernetes.core: up to date"; return 0
  fi
  log "kubernetes.core: extracting from the ansible==$ver wheel"
  local tmp; tmp="$(mktemp -d)"
  "$ROOT/.venv/controller/bin/python" -m pip download -q --no-deps -d "$tmp" "ansible==$ver" 2>&1 | grep -v "Location 'file://" || true
  rm -rf "$dest/ansible_collections/kubernetes"; mkdir -p "$dest"
  "$ROOT/.venv/controller/bin/python" - "$tmp"/ansible-*.whl "$dest" <<'PY'
import sys, zipfile
whl, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    z.extractall(dest, [n for n in z.namelist() if n.startswith("ansible_collections/kubernetes/core/")])
PY
  rm -rf "$tmp"; echo "$ver" > "$dest/.stamp"
  log "kubernetes.core: ready"
}

targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(controller collections mlflow11 mlflow5 idp)
run_target() {
  case "$1" in
    controller) make_venv controller 3.11 "$REQ/controller.txt" ;;
    mlflow11) make_venv mlflow11 3.12 "$REQ/mlflow11.txt" ;;
    mlflow5) make_venv mlflow5 3.12 "$REQ/mlflow5.txt" ;;
    idp) make_venv idp 3.12 "$REQ/idp.txt" ;;
    collections) collections ;;
    *) log "unknown target $1"; return 2 ;;
  esac
}
# The controller (and the collections extracted with it) first; the server venvs in parallel.
pids=()
for t in "${targets[@]}"; do
  case "$t" in
    controller|collections) ;;
    *) run_target "$t" & pids+=($!) ;;
  esac
done
for t in "${targets[@]}"; do
  case "$t" in controller|collections) run_target "$t" ;; esac
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
