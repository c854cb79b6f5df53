#!/usr/bin/env bash
# ansible-lint --profile production over the collection (roles, playbooks, galaxy.yml, meta).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source "$ROOT/tests/harness/ansible_env.sh"
cd "$ROOT"
NO_COLOR=1 ansible-lint --profile production --offline
