"""The condition keys the evaluator knows, lower-cased (IAM matches key names case-insensitively).

A key listed here that is absent from a request's context is "not present" and follows AWS's rules
for absent keys. A key that is neither listed here nor present in the context is one the sandbox
does not model: the evaluator reports it instead of guessing. Sources: the IAM global condition
keys page and each service's page in the Service Authorization Reference.
"""

from __future__ import annotations


def _keys(service: str, names: str) -> frozenset[str]:
    return frozenset(f"{service}:{name}".lower() for name in names.split())


_GLOBAL = _keys(
    "aws",
    """
    PrincipalArn PrincipalAccount PrincipalOrgID PrincipalOrgPaths PrincipalType PrincipalIsAWSService
    PrincipalServiceName PrincipalServiceNamesList userid username FederatedProvider TokenIssueTime
    MultiFactorAuthAge MultiFactorAuthPresent SourceIdentity AssumedRoot
    SourceAccount SourceArn SourceOwner SourceOrgID SourceOrgPaths SourceIp SourceVpc SourceVpce SourceVpcArn
    VpcSourceIp Ec2InstanceSourceVpc Ec2InstanceSourcePrivateIPv4 SecureTransport CurrentTime EpochTime
    Referer UserAgent RequestedRegion CalledVia CalledViaFirst CalledViaLast ViaAWSService
    ResourceAccount ResourceOrgID ResourceOrgPaths TagKeys
    """,
)

_SERVICES = (
    _keys(
        "kms",
        """
        ViaService CallerAccount GrantIsForAWSResource ResourceAliases RequestAlias EncryptionContextKeys
        GrantOperations GrantConstraintType GranteePrincipal RetiringPrincipal KeySpec KeyUsage KeyOrigin
        CustomerMasterKeySpec CustomerMasterKeyUsage DataKeyPairSpec EncryptionAlgorithm SigningAlgorithm
        MacAlgorithm MessageType WrappingAlgorithm WrappingKeySpec KeyAgreementAlgorithm ExpirationModel ValidTo
        MultiRegion MultiRegionKeyType PrimaryRegion ReplicaRegion ReEncryptOnSameKey RotationPeriodInDays
        ScheduleKeyDeletionPendingWindowInDays BypassPolicyLockoutSafetyCheck
        """,
    )
    | _keys(
        "iam",
        "PassedToService AssociatedResourceArn AWSServiceName PermissionsBoundary PolicyARN OrganizationsPolicyId",
    )
    | _keys(
        "dynamodb",
        """
        LeadingKeys Attributes Select ReturnValues ReturnConsumedCapacity EnclosingOperation FullTableScan
        FirstPartitionKeyValues SecondPartitionKeyValues ThirdPartitionKeyValues FourthPartitionKeyValues
        """,
    )
    | _keys(
        "sagemaker",
        """
        ModelApprovalStatus CustomerMetadataPropertiesToRemove VolumeKmsKey VolumeKmsKeyArn NetworkIsolation
        VpcSubnets VpcSecurityGroupIds InstanceTypes ModelArn AcceleratorTypes DirectInternetAccess RootAccess
        InterContainerTrafficEncryption MaxRuntimeInSeconds OutputKmsKey OutputKmsKeyArn ServerlessMaxConcurrency
        ServerlessMemorySize TaggingAction TargetModel ModelLifeCycle CurrentModelLifeCycleStage
        CurrentModelLifeCycleStageStatus PipelineVersionId WorkteamArn WorkteamType ImageArns ImageVersionArns
        DomainId UserProfileName OwnerUserProfileArn KeepAlivePeriod EnableRemoteDebug
        """,
    )
    | _keys(
        "s3",
        """
        x-amz-server-side-encryption x-amz-server-side-encryption-aws-kms-key-id
        x-amz-server-side-encryption-customer-algorithm x-amz-acl x-amz-copy-source x-amz-metadata-directive
        x-amz-storage-class x-amz-content-sha256 x-amz-grant-full-control x-amz-grant-read x-amz-grant-read-acp
        x-amz-grant-write x-amz-grant-write-acp x-amz-object-ownership x-amz-website-redirect-location
        prefix delimiter max-keys versionid locationconstraint RequestObjectTagKeys TlsVersion signatureversion
        signatureAge authType ResourceAccount DataAccessPointAccount DataAccessPointArn AccessPointNetworkOrigin
        object-lock-mode object-lock-legal-hold object-lock-retain-until-date object-lock-remaining-retention-days
        if-match if-none-match
        """,
    )
    | _keys("cloudwatch", "namespace AlarmActions requestInsightRuleLogGroups requestManagedResourceARNs")
    | _keys(
        "events",
        """
        source detail-type EventBusInvocation ManagedBy TargetArn EventBusArn creatorAccount
        detail.eventTypeCode detail.service detail.userIdentity.principalId
        """,
    )
    | _keys(
        "sts",
        "RoleSessionName ExternalId SourceIdentity TransitiveTagKeys AWSServiceName DurationSeconds TaskPolicyArn",
    )
    | _keys("application-autoscaling", "scalable-dimension service-namespace TagKeys")
    | _keys("ecr", "AccountSetting")
    | _keys("codecommit", "References")
    | _keys(
        "codebuild",
        """
        buildArn projectArn source source.location source.buildspec source.auth.type source.auth.resource
        source.insecureSsl secondarySources secondarySources.location secondarySources.buildspec
        artifacts artifacts.location artifacts.encryptionDisabled artifacts.bucketOwnerAccess
        secondaryArtifacts secondaryArtifacts.location secondaryArtifacts.encryptionDisabled cache cache.location
        cache.type cache.modes computeType environment environment.image environment.type environment.computeType
        environment.privilegedMode environment.certificate environment.imagePullCredentialsType
        environment.environmentVariables environment.environmentVariables.name
        environment.environmentVariables.value environment.registryCredential environment.fleet.fleetArn
        encryptionKey serviceRole fleetServiceRole vpcConfig vpcConfig.vpcId vpcConfig.subnets
        vpcConfig.securityGroupIds logsConfig logsConfig.s3Logs logsConfig.s3Logs.location
        logsConfig.s3Logs.encryptionDisabled logsConfig.s3Logs.status concurrentBuildLimit buildType
        projectVisibility autoRetryLimit authType serverType shouldOverwrite manualCreation token username
        """,
    )
    | _keys("logs", "DeliveryDestinationResourceArn LogGeneratingResourceArns data_source_name data_source_type")
    | _keys("sns", "Protocol Endpoint")
)

# Families: a fixed prefix followed by a tag key, an encryption-context key, a metadata key...
_PREFIXES = tuple(
    p.lower()
    for p in (
        "aws:PrincipalTag/",
        "aws:ResourceTag/",
        "aws:RequestTag/",
        "kms:EncryptionContext:",
        "kms:RecipientAttestation:",
        "iam:ResourceTag/",
        "sagemaker:ResourceTag/",
        "sagemaker:CustomerMetadataProperties/",
        "sagemaker:CurrentCustomerMetadataProperties/",
        "sagemaker:SearchVisibilityCondition/",
        "s3:ExistingObjectTag/",
        "s3:RequestObjectTag/",
        "s3:BucketTag/",
        "s3:AccessPointTag/",
        "ecr:ResourceTag/",
        "application-autoscaling:ResourceTag/",
        "application-autoscaling:RequestTag/",
        "codebuild:environment.environmentVariables/",
        "codebuild:secondarySources/",
        "codebuild:secondaryArtifacts/",
        "codebuild:fileSystemLocations/",
    )
)

# SQS defines no service-specific keys: its policies use the global aws:* keys.
KNOWN_KEYS: frozenset[str] = _GLOBAL | _SERVICES
KNOWN_PREFIXES: tuple[str, ...] = _PREFIXES


def is_known(key: str) -> bool:
    """Is `key` (any case) a condition key the evaluator knows, exactly or by its family's prefix?"""
    lowered = key.lower()
    if lowered in KNOWN_KEYS:
        return True
    # A family needs something after its prefix: "aws:ResourceTag/" alone names no tag.
    return any(lowered.startswith(p) and len(lowered) > len(p) for p in KNOWN_PREFIXES)
