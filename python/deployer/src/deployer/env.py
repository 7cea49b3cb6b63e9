"""Every environment variable the deployer reads, in one place (the README's table lists the same names).

A numeric variable that is unset or empty takes its default; any other value must parse and lie in its range,
or reading it raises InputError naming the variable and what is allowed (exit 2): an operator's typo is an error,
never silently replaced. The CLI reads them all before it runs a verb (`check_numbers`), and its numeric flags
parse with the same `Bound`s.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from deployer.errors import InputError

DEFAULT_POLL_SECONDS = 15.0
DEFAULT_LOCK_TTL_SECONDS = 900
DEFAULT_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Bound:
    """A number an operator types: finite, whole when `whole`, at least `low` (above it when not `inclusive`)."""

    low: float
    inclusive: bool = True
    whole: bool = False
    unit: str = "seconds"

    @property
    def allowed(self) -> str:
        kind = "an integer" if self.whole else "a finite number"
        return f"{self.unit}, {kind} {'>=' if self.inclusive else '>'} {self.low:g}"

    def parse(self, raw: str) -> float:
        """The value of `raw`, or ValueError saying what is wrong with it (the caller names the flag or variable)."""
        try:
            value = int(raw.strip()) if self.whole else float(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not {'an integer' if self.whole else 'a number'}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{raw!r} is not a finite number")
        if value < self.low or (value == self.low and not self.inclusive):
            raise ValueError(f"{raw!r} is out of range")
        return value

    def read(self, name: str, default: float) -> float:
        """Environment variable `name`, or `default` when it is unset or empty."""
        raw = os.environ.get(name, "")
        if not raw.strip():
            return default
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise InputError(f"{name}: {exc} (allowed: {self.allowed})") from None


POLL = Bound(0.0, inclusive=False)
LOCK_WAIT = Bound(0.0)
TIMEOUT = Bound(0.0, inclusive=False)
LOCK_TTL = Bound(1, whole=True)
ATTEMPTS = Bound(1, whole=True, unit="attempts")


def build_id() -> str:
    """The CodeBuild build id (`project:uuid`), or empty outside CodeBuild."""
    return os.environ.get("CODEBUILD_BUILD_ID", "")


def poll_seconds() -> float:
    """DEPLOYER_POLL_SECONDS: how often a wait polls SageMaker."""
    return POLL.read("DEPLOYER_POLL_SECONDS", DEFAULT_POLL_SECONDS)


def lock_ttl_seconds() -> int:
    """DEPLOYER_LOCK_TTL_SECONDS: the endpoint lease's length (renewed while the run lives)."""
    return int(LOCK_TTL.read("DEPLOYER_LOCK_TTL_SECONDS", DEFAULT_LOCK_TTL_SECONDS))


def max_attempts() -> int:
    """DEPLOYER_MAX_ATTEMPTS: botocore's retry attempts per call."""
    return int(ATTEMPTS.read("DEPLOYER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def stage() -> str | None:
    """STAGE: the stage a command acts on when --stage is not given."""
    return os.environ.get("STAGE") or None


def model() -> str | None:
    """MODEL: the model of the platform a command acts on when --model is not given (a stage config names its own:
    they must agree)."""
    return os.environ.get("MODEL") or None


def config_dir() -> str:
    """DEPLOYER_CONFIG_DIR: where the stage configs live (default `config`)."""
    return os.environ.get("DEPLOYER_CONFIG_DIR") or "config"


def region() -> str | None:
    """AWS_REGION, then AWS_DEFAULT_REGION."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None


def platform_config() -> str:
    """DEPLOYER_PLATFORM_CONFIG: name or ARN of the SSM parameter holding the platform-owned stage config (empty:
    the config files are the whole config)."""
    return os.environ.get("DEPLOYER_PLATFORM_CONFIG", "").strip()


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
    return LOCK_WAIT.read("DEPLOYER_LOCK_WAIT_SECONDS", 0.0)


def check_numbers() -> None:
    """Read every numeric variable that applies to any verb, so a bad one is refused before anything runs."""
    poll_seconds()
    lock_ttl_seconds()
    max_attempts()
