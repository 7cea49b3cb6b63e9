#!/usr/bin/env bash
# Run Terraform for the tooling root or one stage (envs/stage with <stage>.tfvars) against the local
# sandbox, unchanged from real AWS except for the provider endpoint switch (aws_endpoint_url) and the
# backend settings.
#
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5055     # a running sandbox
#   scripts/tf-sandbox.sh tooling apply -auto-approve
#   scripts/tf-sandbox.sh dev plan                    # envs/stage, -var-file=../platform.tfvars -var-file=dev.tfvars
#
# What it does:
#   - creates the state bucket (TF_SANDBOX_STATE_BUCKET, default tfstate-sandbox) in the
#     tooling account if missing (python + boto3 from .venv);
#   - terraform init -reconfigure with an S3 backend pointed at the sandbox, in a data dir of
#     its own (.build/tf-sandbox/<env>) so it never touches a real-AWS .terraform/; a stage's
#     state key is envs/<stage>/terraform.tfstate;
#   - adds -var-file=../platform.tfvars (and, for a stage, -var-file=<stage>.tfvars) to the
#     commands that take variables (plan, apply, destroy, refresh, import, console; not to an
#     apply of a saved plan);
#   - exports TF_VAR_aws_endpoint_url (and, unless already set, sandbox-friendly values:
#     seed_python = .venv/bin/python, force-destroyable buckets, no ledger deletion protection)
#     and runs `terraform <args>` in envs/<env>.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: $0 <tooling|<stage>> <terraform args...>   (a stage has envs/stage/<stage>.tfvars)" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
env_name="$1"; shift
# TF_SANDBOX_PLATFORM_TFVARS: another platform file (tests onboard and remove models with their own).
platform_tfvars="${TF_SANDBOX_PLATFORM_TFVARS:-$ROOT/envs/platform.tfvars}"
var_files=("-var-file=$platform_tfvars")
backend_key=()
if [[ "$env_name" == tooling ]]; then
  env_dir="$ROOT/envs/tooling"
else
  env_dir="$ROOT/envs/stage"
  [[ "$env_name" =~ ^[a-z0-9-]+$ && -f "$env_dir/$env_name.tfvars" ]] || {
    echo "tf-sandbox.sh: no stage file envs/stage/$env_name.tfvars (allowed: tooling, $(cd "$env_dir" && ls *.tfvars | sed 's/\.tfvars$//' | paste -sd, -))" >&2
    exit 2
  }
  var_files+=("-var-file=$env_dir/$env_name.tfvars")
  backend_key=("-backend-config=key=envs/$env_name/terraform.tfstate")
fi
[[ -n "${AWS_ENDPOINT_URL:-}" ]] || { echo "tf-sandbox.sh: set AWS_ENDPOINT_URL to the sandbox URL (for example http://127.0.0.1:5055)" >&2; exit 2; }

if [[ -z "${TF_CLI_CONFIG_FILE:-}" || ! -f "${TF_CLI_CONFIG_FILE}" ]]; then
  export TF_CLI_CONFIG_FILE="$ROOT/.build/terraformrc"
  [[ -f "$TF_CLI_CONFIG_FILE" ]] || "$ROOT/scripts/terraformrc.sh" "$TF_CLI_CONFIG_FILE"
fi
export TF_IN_AUTOMATION=1
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-sandbox}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-sandbox}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"

PYTHON="${SANDBOX_PYTHON:-$ROOT/.venv/bin/python}"
tooling_account_id="${SANDBOX_TOOLING_ACCOUNT_ID:-111111111111}"
state_bucket="${TF_SANDBOX_STATE_BUCKET:-tfstate-sandbox}"
state_role_arn="arn:aws:iam::${tooling_account_id}:role/OrganizationAccountAccessRole"

# 1. State bucket in the tooling account.
"$PYTHON" - "$AWS_ENDPOINT_URL" "$AWS_REGION" "$state_role_arn" "$state_bucket" <<'PY'
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, region, role_arn, bucket = sys.argv[1:5]
creds = boto3.client("sts", endpoint_url=endpoint, region_name=region).assume_role(
    RoleArn=role_arn, RoleSessionName="tf-sandbox-state"
)["Credentials"]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name=region,
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"],
)
try:
    s3.head_bucket(Bucket=bucket)
except ClientError:
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **kwargs)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    print(f"tf-sandbox.sh: created state bucket {bucket}", file=sys.stderr)
PY

# 2. Backend for the sandbox, in a data dir of its own.
# TF_SANDBOX_DATA_DIR: where the data dirs go (a test keeps its own apart from the demo's).
export TF_DATA_DIR="${TF_SANDBOX_DATA_DIR:-$ROOT/.build/tf-sandbox}/$env_name"
mkdir -p "$TF_DATA_DIR"
backend_file="$TF_DATA_DIR/backend.hcl"
cat > "$backend_file" <<EOT
bucket                      = "$state_bucket"
region                      = "$AWS_REGION"
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
endpoints = {
  s3  = "$AWS_ENDPOINT_URL"
  sts = "$AWS_ENDPOINT_URL"
  iam = "$AWS_ENDPOINT_URL"
}
assume_role = {
  role_arn = "$state_role_arn"
}
EOT

cd "$env_dir"
terraform init -reconfigure -input=false -no-color -backend-config="$backend_file" "${backend_key[@]}" >"$TF_DATA_DIR/init.log" 2>&1 || {
  cat "$TF_DATA_DIR/init.log" >&2
  exit 1
}

tooling_id_tfvars="$(sed -n 's/^tooling_account_id *= *"\([0-9]\{12\}\)".*/\1/p' "$platform_tfvars")"

# 3. Variables: the endpoint switch, plus disposable-sandbox defaults the caller may override.
export TF_VAR_aws_endpoint_url="$AWS_ENDPOINT_URL"
export TF_VAR_seed_python="${TF_VAR_seed_python:-$PYTHON}"
# The demo skips envs/bootstrap: Terraform runs as the administrator role every sandbox account has.
# (tooling: a role ARN; a stage: the role name in the stage's account, which comes from platform.tfvars)
if [[ "$env_name" == tooling ]]; then
  export TF_VAR_terraform_role_arn="${TF_VAR_terraform_role_arn:-arn:aws:iam::${tooling_id_tfvars}:role/OrganizationAccountAccessRole}"
fi
export TF_VAR_terraform_role_name="${TF_VAR_terraform_role_name:-OrganizationAccountAccessRole}"
export TF_VAR_force_destroy_buckets="${TF_VAR_force_destroy_buckets:-true}"
export TF_VAR_artifact_bucket_force_destroy="${TF_VAR_artifact_bucket_force_destroy:-true}"
export TF_VAR_ledger_deletion_protection="${TF_VAR_ledger_deletion_protection:-false}"
export TF_VAR_kms_deletion_window_in_days="${TF_VAR_kms_deletion_window_in_days:-7}"
if [[ -z "${TF_VAR_deployer_wheel_path:-}" && -n "${DEPLOYER_WHEEL:-}" ]]; then
  export TF_VAR_deployer_wheel_path="$DEPLOYER_WHEEL"
fi
# DEPLOYER_WHEELHOUSE: the locked dependency wheels, uploaded so the local builds install offline.
if [[ -z "${TF_VAR_deployer_wheelhouse_dir:-}" && -n "${DEPLOYER_WHEELHOUSE:-}" ]]; then
  export TF_VAR_deployer_dependencies=bundled TF_VAR_deployer_wheelhouse_dir="$DEPLOYER_WHEELHOUSE"
fi

# 4. The platform file (and the stage file) for the commands that take variables.
cmd="$1"; shift
case "$cmd" in
  plan | destroy | refresh | import | console) exec terraform "$cmd" "${var_files[@]}" "$@" ;;
  apply)
    prev=""
    for arg in "$@"; do
      # a saved plan carries its variables (a bare word that is no -var/-var-file value)
      [[ "$arg" == -* || "$prev" == -var || "$prev" == -var-file ]] || exec terraform apply "$@"
      prev="$arg"
    done
    exec terraform apply "${var_files[@]}" "$@"
    ;;
  *) exec terraform "$cmd" "$@" ;;
esac
