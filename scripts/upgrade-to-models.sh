#!/usr/bin/env bash
# Upgrade a single-model installation (envs/tooling with module.registry, envs/<stage> with module.stage) to
# the platform layout (module.registry + module.model["<model>"] in tooling, module.model["<model>"] in
# envs/stage), by moving state: nothing is destroyed or recreated, names stay (platform = prefix = the old
# project). docs/models.md, "Upgrading a single-model installation", has the whole procedure.
#
#   scripts/upgrade-to-models.sh tooling churn        # terraform -chdir=envs/tooling state mv ...
#   TF_DATA_DIR=.terraform-dev scripts/upgrade-to-models.sh stage churn
#   TERRAFORM="scripts/tf-sandbox.sh dev" scripts/upgrade-to-models.sh stage churn   # the local sandbox
#
# Idempotent: addresses already moved are not in the old place any more, so a second run moves nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: $0 <tooling|stage> <model>   (model: the old project name, ^[a-z][a-z0-9-]{0,29}\$)" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
root="$1" model="$2"
[[ "$root" == tooling || "$root" == stage ]] || usage
[[ "$model" =~ ^[a-z][a-z0-9-]{0,29}$ ]] || usage
read -r -a tf <<<"${TERRAFORM:-terraform -chdir=$ROOT/envs/$root}"

addresses="$("${tf[@]}" state list)"
moves=()
if [[ "$root" == tooling ]]; then
  # What modules/registry-model owns now; the rest of module.registry stays where it is.
  while IFS= read -r address; do
    [[ "$address" =~ ^module\.registry\.(aws_sagemaker_model_package_group(_policy)?\.this|aws_iam_role(_policy)?\.deployer\[.*\]|aws_cloudwatch_event_(rule|target)\.(this|rejection(\[.*\])?))$ ]] &&
      moves+=("$address" "module.model[\"$model\"].${BASH_REMATCH[1]}")
  done <<<"$addresses"
else
  grep -q '^module\.stage\.' <<<"$addresses" && moves+=("module.stage" "module.model[\"$model\"]")
fi

if [[ ${#moves[@]} -eq 0 ]]; then
  echo "upgrade-to-models.sh: nothing to move in envs/$root (already upgraded, or not the single-model layout)"
  exit 0
fi
for ((i = 0; i < ${#moves[@]}; i += 2)); do
  echo "upgrade-to-models.sh: ${moves[i]} -> ${moves[i + 1]}"
  "${tf[@]}" state mv "${moves[i]}" "${moves[i + 1]}" >/dev/null
done
echo "upgrade-to-models.sh: moved $((${#moves[@]} / 2)) address(es) in envs/$root; now plan: expect updates in place and new resources only"
