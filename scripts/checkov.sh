#!/usr/bin/env bash
# checkov over modules/ and envs/ (framework terraform) in its own virtual environment:
# checkov pins an old boto3, so it must not share .venv. Fails on any finding; every skip is
# an inline `#checkov:skip=<id>:<reason>` next to the resource it concerns.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.2.533}"
VENV="${CHECKOV_VENV:-$ROOT/.venv-checkov}"
PYTHON="${PYTHON:-python3}"

if [[ ! -x "$VENV/bin/checkov" ]] || ! "$VENV/bin/pip" show checkov 2>/dev/null | grep -qx "Version: $CHECKOV_VERSION"; then
  echo "checkov.sh: installing checkov==$CHECKOV_VERSION into $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "checkov==$CHECKOV_VERSION"
fi

[[ "${1:-}" == "--install-only" ]] && exit 0

cd "$ROOT"
exec "$VENV/bin/checkov" \
  --config-file "$ROOT/.checkov.yaml" \
  --directory modules \
  --directory envs \
  "$@"
