#!/usr/bin/env bash
# Module unit tests: `terraform test` with mock_provider "aws" in every modules/<name>.
# No credentials, no network: providers come from the mirror named in TF_CLI_CONFIG_FILE.
# Usage: scripts/tf-unit.sh [module ...]   (default: every module with a tests/ directory)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Providers come from the offline mirror: use the CLI config the Makefile writes unless
# TF_CLI_CONFIG_FILE already names an existing file.
if [[ -z "${TF_CLI_CONFIG_FILE:-}" || ! -f "${TF_CLI_CONFIG_FILE}" ]]; then
  export TF_CLI_CONFIG_FILE="$ROOT/.build/terraformrc"
  [[ -f "$TF_CLI_CONFIG_FILE" ]] || "$ROOT/scripts/terraformrc.sh" "$TF_CLI_CONFIG_FILE"
fi
export TF_IN_AUTOMATION=1

if [[ $# -gt 0 ]]; then
  modules=("$@")
else
  modules=()
  for dir in "$ROOT"/modules/*/; do
    [[ -d "$dir/tests" ]] && modules+=("$(basename "$dir")")
  done
fi

failed=()
for name in "${modules[@]}"; do
  dir="$ROOT/modules/$name"
  echo "==> modules/$name"
  if ! (cd "$dir" && terraform init -backend=false -input=false -no-color >/dev/null && terraform test -no-color); then
    failed+=("$name")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "tf-unit.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "tf-unit.sh: all module tests passed (${modules[*]})"
