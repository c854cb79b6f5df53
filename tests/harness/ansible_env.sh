# shellcheck shell=bash
# Sourced by the harness scripts: the controller venv first on PATH, the collection and its
# dependencies on ANSIBLE_COLLECTIONS_PATH, nothing written outside the work tree.
ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
mkdir -p "$ROOT/.run/collections/ansible_collections/prokube"
[ -L "$ROOT/.run/collections/ansible_collections/prokube/mlflow" ] || ln -s "$ROOT" "$ROOT/.run/collections/ansible_collections/prokube/mlflow"
export PATH="$ROOT/.venv/controller/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/.run/collections:$ROOT/.cache/collections"
export ANSIBLE_PYTHON_INTERPRETER="$ROOT/.venv/controller/bin/python"
export ANSIBLE_HOME="$ROOT/.run/ansible-home"
export ANSIBLE_ROLES_PATH="$ROOT/roles"
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
