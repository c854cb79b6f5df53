#!/usr/bin/env bash
# ansible-test sanity (and optionally ansible-test units) from a real ansible_collections/prokube/mlflow copy.
# ansible-test refuses symlinked trees, so the tracked and untracked-but-not-ignored files are copied.
# HOME points inside the work tree (.cache/ansible-test-home): ansible-test's venvs and its pip bootstrap
# cache live there, git-ignored, and nothing is written to the real home directory.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv/controller"
DEST="$ROOT/.run/ansible-test/ansible_collections/prokube/mlflow"
rm -rf "$DEST"; mkdir -p "$DEST"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -cf - -T - 2>/dev/null) | tar -xf - -C "$DEST"
# The copy lies inside this (git-ignored) work tree: give it its own git index so ansible-test lists its files.
(cd "$DEST" && git init -q && git add -A)
export HOME="$ROOT/.cache/ansible-test-home"
pipver="$("$VENV/bin/python" -c 'import re,ansible_test._internal.python_requirements as m,inspect; print(re.search(r"pip=.([0-9.]+).", inspect.getsource(m.get_venv_packages)).group(1))')"
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/tests/harness/get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
export PATH="$VENV/bin:$PATH"
cd "$DEST"
ansible-test sanity --venv --python 3.11 --color no "$@"
