#!/usr/bin/env bash
# Checks the Prometheus rule files and runs their unit tests:
#   promtool check rules  deploy/prometheus/rules/*.yml
#   promtool test rules   tests/ops/prometheus/*_test.yml
#   promtool check config deploy/prometheus/prometheus.yml
# Works from any directory; exits non-zero if any step fails, after running all
# of them. PROMTOOL may name another promtool binary.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/../../.." && pwd)
promtool=${PROMTOOL:-promtool}
command -v "$promtool" >/dev/null || { echo "run.sh: $promtool not found" >&2; exit 2; }

shopt -s nullglob
rules=("$root"/deploy/prometheus/rules/*.yml)
tests=("$here"/*_test.yml)
((${#rules[@]} > 0)) || { echo "run.sh: no rule files in $root/deploy/prometheus/rules" >&2; exit 1; }
((${#tests[@]} > 0)) || { echo "run.sh: no *_test.yml in $here" >&2; exit 1; }

failed=0
step() {  # step <description> <command...>: run, show its output, remember failure
  local desc=$1
  shift
  echo "== $desc"
  if ! "$@" 2>&1; then
    echo "FAILED: $desc" >&2
    failed=1
  fi
}

step "check rules" "$promtool" check rules "${rules[@]}"
# promtool resolves rule_files relative to each test file's directory.
step "test rules" "$promtool" test rules "${tests[@]}"
step "check config" "$promtool" check config "$root/deploy/prometheus/prometheus.yml"

if ((failed)); then
  echo "run.sh: FAILED" >&2
  exit 1
fi
echo "run.sh: all Prometheus rule checks and tests passed"
