#!/usr/bin/env bash
# Static checks: terraform fmt over modules/, envs/ and examples/, then init (no backend) + validate of
# every module, env root and example, and the module READMEs' generated tables are current.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Providers come from the offline mirror: use the CLI config the Makefile writes unless
# TF_CLI_CONFIG_FILE already names an existing file.
if [[ -z "${TF_CLI_CONFIG_FILE:-}" || ! -f "${TF_CLI_CONFIG_FILE}" ]]; then
  export TF_CLI_CONFIG_FILE="$ROOT/.build/terraformrc"
  [[ -f "$TF_CLI_CONFIG_FILE" ]] || "$ROOT/scripts/terraformrc.sh" "$TF_CLI_CONFIG_FILE"
fi
export TF_IN_AUTOMATION=1
cd "$ROOT"

status=0
echo "==> terraform fmt -check -recursive modules envs examples"
if ! terraform fmt -check -recursive -diff modules envs examples; then
  echo "tf-static.sh: run 'terraform fmt -recursive modules envs examples'" >&2
  status=1
fi

for dir in modules/*/ envs/*/ examples/*/; do
  dir="${dir%/}"
  echo "==> $dir: init -backend=false && validate"
  # -lockfile=readonly keeps the committed env lock files as they are.
  lock_args=()
  [[ -f "$dir/.terraform.lock.hcl" && "$dir" == envs/* ]] && lock_args=(-lockfile=readonly)
  if ! (cd "$dir" && terraform init -backend=false -input=false -no-color "${lock_args[@]}" >/dev/null && terraform validate -no-color); then
    status=1
  fi
done

echo "==> module READMEs: inputs and outputs tables current"
if ! "${PYTHON:-$ROOT/.venv/bin/python}" scripts/tf_docs.py --check; then
  status=1
fi

exit "$status"
