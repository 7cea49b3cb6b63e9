# The platform buildspecs' install step (inlined by buildspecs.tf; docs/supply-chain.md): fetch the deployer
# wheel and its lock file from the keys Terraform uploaded them under, check both against the sha256 Terraform
# computed, install the locked dependencies with --require-hashes (PyPI, or the uploaded wheelhouse with
# --no-index), then the wheel with --no-deps: nothing is resolved at build time. A subshell, so set -e and exit
# stay in this step.
(
  set -euo pipefail
  fail() { echo "deployer install: $*" >&2; exit 1; }
  verify() {  # file, expected sha256, what it is, the variable holding the expected hash
    local actual
    actual="$(sha256sum "$1" | cut -d ' ' -f 1)"
    [ "$actual" = "$2" ] || fail "$3 has sha256 $actual but $4 expects $2: refusing to install it"
  }
  for name in DEPLOYER_WHEEL_S3_URI DEPLOYER_WHEEL_SHA256 DEPLOYER_LOCK_S3_URI DEPLOYER_LOCK_SHA256; do
    [ -n "${!name:-}" ] || fail "$name is empty: give the stage module deployer_wheel_path (and its lock file)"
  done
  dir="$(mktemp -d)"
  wheel="$dir/${DEPLOYER_WHEEL_S3_URI##*/}"
  lock="$dir/requirements.lock"
  aws s3 cp --only-show-errors "$DEPLOYER_WHEEL_S3_URI" "$wheel"
  aws s3 cp --only-show-errors "$DEPLOYER_LOCK_S3_URI" "$lock"
  verify "$wheel" "$DEPLOYER_WHEEL_SHA256" "the deployer wheel $DEPLOYER_WHEEL_S3_URI" DEPLOYER_WHEEL_SHA256
  verify "$lock" "$DEPLOYER_LOCK_SHA256" "the lock file $DEPLOYER_LOCK_S3_URI" DEPLOYER_LOCK_SHA256
  pip_args=(--quiet --disable-pip-version-check)
  if [ -n "${DEPLOYER_WHEELHOUSE_S3_URI:-}" ]; then
    aws s3 cp --only-show-errors --recursive "$DEPLOYER_WHEELHOUSE_S3_URI" "$dir/wheelhouse/"
    pip_args+=(--no-index --find-links "$dir/wheelhouse")
  fi
  pip install "${pip_args[@]}" --require-hashes --only-binary=:all: --no-deps --requirement "$lock"
  pip install "${pip_args[@]}" --no-deps "$wheel"
  echo "deployer install: ${wheel##*/} (sha256 $DEPLOYER_WHEEL_SHA256) and its locked dependencies installed"
)
