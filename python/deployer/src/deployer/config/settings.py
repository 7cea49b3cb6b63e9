"""The validated stage config: one frozen dataclass per section."""

from __future__ import annotations

from dataclasses import dataclass, field

from deployer.config.patterns import GROUP_ARN
from deployer.naming import partition_of

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class RegistrySettings:
    model_package_group: str
    account_id: str
    region: str
    role_arn: str

    @property
    def group_name(self) -> str:
        match = GROUP_ARN.match(self.model_package_group)
        return match.group(3) if match else self.model_package_group

    @property
    def group_arn(self) -> str:
        if self.model_package_group.startswith("arn:"):
            return self.model_package_group
        arn_prefix = f"arn:{partition_of(self.region)}:sagemaker:{self.region}:{self.account_id}"
        return f"{arn_prefix}:model-package-group/{self.group_name}"


@dataclass(frozen=True)
class LedgerSettings:
    table_name: str


@dataclass(frozen=True)
class PromotionSettings:
    next_stage_event_bus_arn: str


@dataclass(frozen=True)
class TargetSettings:
    account_id: str
    region: str
    role_arn: str


@dataclass(frozen=True)
class VpcSettings:
    """The subnets and security groups of the endpoint's models (CreateModel's VpcConfig)."""

    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]


@dataclass(frozen=True)
class EndpointSettings:
    name: str
    variant_name: str
    instance_type: str
    instance_count: int
    kms_key_arn: str
    execution_role_arn: str
    vpc: VpcSettings | None = None  # None: the models run outside any VPC
    network_isolation: bool = False


@dataclass(frozen=True)
class DataCaptureSettings:
    enabled: bool
    sampling_percentage: int
    destination_s3_uri: str
    kms_key_arn: str


@dataclass(frozen=True)
class StepSettings:
    type: str
    value: int


@dataclass(frozen=True)
class DeploymentSettings:
    strategy: str
    step: StepSettings | None
    wait_seconds: int
    termination_wait_seconds: int
    max_execution_timeout_seconds: int
    rollback_alarms: tuple[str, ...]
    # Inf1 instances and Marketplace containers have no deployment guardrails: a guarded strategy needs this.
    allow_unguarded_fallback: bool = False


@dataclass(frozen=True)
class AutoscalingSettings:
    enabled: bool
    min_capacity: int
    max_capacity: int
    target_invocations_per_instance: float


@dataclass(frozen=True)
class StageSettings:
    """The top-level keys: who this stage is and where it sits in the chain."""

    project: str
    stage: str
    previous_stage: str
    next_stage: str
    requires_approval: bool
    model: str = ""
    platform: str = ""


@dataclass(frozen=True)
class StageConfig:
    """One stage of one model. `model` keys the model's items in the platform's shared ledger (defaults to
    `project`, the single-model layout); `platform` names the shared installation (informational)."""

    source: str
    schema_version: int
    project: str
    stage: str
    previous_stage: str
    next_stage: str
    requires_approval: bool
    registry: RegistrySettings
    ledger: LedgerSettings
    promotion: PromotionSettings
    target: TargetSettings
    endpoint: EndpointSettings
    data_capture: DataCaptureSettings
    deployment: DeploymentSettings
    autoscaling: AutoscalingSettings
    smoke_tests_dir: str
    tags: dict[str, str] = field(default_factory=dict)
    model: str = ""
    platform: str = ""
    metric_gate: MetricGateSettings = field(default_factory=lambda: MetricGateSettings())

    def __post_init__(self) -> None:
        if not self.model:  # a config of the single-model layout: its project is its model
            object.__setattr__(self, "model", self.project)


@dataclass(frozen=True)
class MetricRule:
    """One rule of the metric gate (config `metric_gate.rules[]`; deployer.metric_gate evaluates it)."""

    metric: str  # a dotted path in the model-quality statistics document, e.g. binary_classification_metrics.auc
    higher_is_better: bool
    threshold: float | None = None  # the candidate must reach it (>= when higher is better, else <=)
    min_absolute_change: float = 0.0  # improvement over live, in the metric's units (0: not worse than live)
    min_relative_change: float = 0.0  # improvement over live, as a fraction of |live|
    missing: str = "fail"  # a value that is not there: "fail" blocks, "skip" passes that check


@dataclass(frozen=True)
class MetricGateSettings:
    """The candidate's registered metrics against the live version's; no rules = no gate."""

    rules: tuple[MetricRule, ...] = ()
    dry_run: bool = False  # report the verdict, never block
