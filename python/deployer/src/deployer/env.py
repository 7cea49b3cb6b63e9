"""Every environment variable the deployer reads, in one place (the README's table lists the same names).

A value that is missing or not a positive number falls back to its default; the CLI flags that take
numbers validate their own input.
"""

from __future__ import annotations

import math
import os

DEFAULT_POLL_SECONDS = 15.0
DEFAULT_LOCK_TTL_SECONDS = 900
DEFAULT_MAX_ATTEMPTS = 8


def build_id() -> str:
    """The CodeBuild build id (`project:uuid`), or empty outside CodeBuild."""
    return os.environ.get("CODEBUILD_BUILD_ID", "")


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def _positive_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


def poll_seconds() -> float:
    """DEPLOYER_POLL_SECONDS: how often a wait polls SageMaker."""
    return _positive_float("DEPLOYER_POLL_SECONDS", DEFAULT_POLL_SECONDS)


def lock_ttl_seconds() -> int:
    """DEPLOYER_LOCK_TTL_SECONDS: the endpoint lease's length (renewed while the run lives)."""
    return _positive_int("DEPLOYER_LOCK_TTL_SECONDS", DEFAULT_LOCK_TTL_SECONDS)


def max_attempts() -> int:
    """DEPLOYER_MAX_ATTEMPTS: botocore's retry attempts per call."""
    return _positive_int("DEPLOYER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)


def stage() -> str | None:
    """STAGE: the stage a command acts on when --stage is not given."""
    return os.environ.get("STAGE") or None


def config_dir() -> str:
    """DEPLOYER_CONFIG_DIR: where the stage configs live (default `config`)."""
    return os.environ.get("DEPLOYER_CONFIG_DIR") or "config"


def region() -> str | None:
    """AWS_REGION, then AWS_DEFAULT_REGION."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def output() -> str:
    """DEPLOYER_OUTPUT: `text` or `json`."""
    return os.environ.get("DEPLOYER_OUTPUT") or "text"


def log_level() -> str:
    """DEPLOYER_LOG_LEVEL (default INFO)."""
    return (os.environ.get("DEPLOYER_LOG_LEVEL") or "INFO").upper()


def read_role_name() -> str:
    """DEPLOYER_READ_ROLE_NAME: the read-only role `status` assumes in each stage account."""
    return os.environ.get("DEPLOYER_READ_ROLE_NAME", "")


def lock_wait_seconds() -> float:
    """DEPLOYER_LOCK_WAIT_SECONDS: how long to wait for another run's lease (default 0: fail at once)."""
    try:
        return float(os.environ.get("DEPLOYER_LOCK_WAIT_SECONDS", "") or 0.0)
    except ValueError:
        return 0.0
