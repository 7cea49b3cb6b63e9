#!/usr/bin/env bash
# Early warning: the sandbox tests against the NEWEST moto instead of the pinned one.
# The pin in python/sandbox/pyproject.toml is what counts; this only shows what a moto upgrade would break.
# Throwaway venv under .build/newest-moto/. Exits non-zero when anything fails (CI ignores that status).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
DIR=.build/newest-moto
BIN=$DIR/venv/bin
LOG=$DIR/pytest.log
# One budget for installs and tests together, so the whole step ends within it (CI allows ~15 minutes).
BUDGET=${NEWEST_MOTO_SECONDS:-900}
PINNED=$(grep -o 'moto\[server\]==[0-9.]*' python/sandbox/pyproject.toml | cut -d= -f3)

# Seconds left of the budget minus a reserve, at least 1 (`timeout 0` would mean no limit).
left() { local n=$((BUDGET - SECONDS - $1)); echo $((n > 0 ? n : 1)); }
pip_install() { timeout "$(left 90)" "$BIN/pip" install -q --disable-pip-version-check "$@"; }

rm -rf "$DIR"
mkdir -p "$DIR/tmp"
"$PYTHON" -m venv "$DIR/venv"
# Everything the sandbox tests import, with the newest moto; then the sandbox itself without its pin.
pip_install -U 'moto[server]' 'boto3>=1.40' \
  "$(grep '^pytest==' requirements-dev.txt)" "$(grep '^python-hcl2==' requirements-dev.txt)"
pip_install -e python/deployer
pip_install --no-deps -e python/sandbox
TRIED=$("$BIN/python" -c 'import moto; print(moto.__version__)')
echo "newest-moto: testing the sandbox against moto $TRIED (pinned: $PINNED) for at most $(left 75)s"

# SIGINT first so pytest tears its sandboxes down; SIGKILL a minute later if it has not stopped.
status=0
timeout -s INT -k 60 "$(left 75)" "$BIN/python" -m pytest tests/sandbox -q --maxfail=20 \
  -p no:cacheprovider --basetemp="$DIR/tmp" 2>&1 | tee "$LOG" || status=$?

echo
echo "=== newest-moto summary: moto $TRIED (pinned: $PINNED), ${SECONDS}s ==="
[ "$TRIED" = "$PINNED" ] && echo "(the newest moto on the index is the pinned one)"
if [ "$status" -eq 0 ]; then
  echo "all passed"
  exit 0
fi
[ "$status" -eq 124 ] && echo "stopped at the time limit: the tests below are only those that ran"
echo "failing tests:"
grep -E '^(FAILED|ERROR) ' "$LOG" | cut -c1-300 || echo "  (none listed: see the output above)"
echo "extension patches that no longer fit (sandbox/ext/_patch.py):"
grep -rhE 'PatchError|cannot patch|no longer exists' "$LOG" "$DIR/tmp" | cut -c1-300 | sort -u | head -n 20 ||
  echo "  none"
echo "first error lines:"
grep -E '^E ' "$LOG" | head -n 20 || true
exit "$status"
