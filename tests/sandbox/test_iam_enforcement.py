"""IAM enforcement end to end: requests refused as AWS refuses them, in each service's error shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.harness import running
from sandbox.testing import let_eventbridge_send, session_from, trust
from tests.conftest import ACCOUNTS, REGION, Sandbox
from tests.sandbox.test_hosting import FAST, canary, make_config, settled, wait_for

TOOLING, DEV, STAGING = ACCOUNTS["tooling"], ACCOUNTS["dev"], ACCOUNTS["staging"]
Unique = Callable[[str], str]


def _role(sandbox: Sandbox, account: str, name: str, statements: list[dict[str, Any]]) -> boto3.Session:
    """A role trusted by the tooling account, with exactly `statements`, and a session as it."""
    iam: Any = sandbox.client("iam", account)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{TOOLING}:root"}))
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=json.dumps(document))
    creds = sandbox.client("sts").assume_role(  # type: ignore[attr-defined]
        RoleArn=f"arn:aws:iam::{ACCOUNTS.get(account, account)}:role/{name}", RoleSessionName="probe"
    )["Credentials"]
    return session_from(creds, REGION)


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_no_identity_policy_allows_sagemaker_create_model(sandbox: Sandbox, unique: Unique) -> None:
    name = unique("nogrant")
    sm: Any = _role(sandbox, "dev", name, []).client("sagemaker", endpoint_url=sandbox.url)
    with pytest.raises(ClientError) as exc:
        sm.create_model(
            ModelName=unique("m"), ExecutionRoleArn=f"arn:aws:iam::{DEV}:role/x", PrimaryContainer={"Image": "i"}
        )
    code, message, status = _error(exc)
    assert (code, status) == ("AccessDeniedException", 400)
    assert message.startswith(f"User: arn:aws:sts::{DEV}:assumed-role/{name}/probe is not authorized to perform: ")
    assert "sagemaker:CreateModel on resource: arn:aws:sagemaker:us-east-1:222222222222:model/" in message
    assert message.endswith("because no identity-based policy allows the sagemaker:CreateModel action")


def test_create_model_needs_pass_role_on_the_execution_role(sandbox: Sandbox, unique: Unique) -> None:
    execution = f"arn:aws:iam::{DEV}:role/{unique('exec')}"
    grant = {"Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"}
    sm: Any = _role(sandbox, "dev", unique("nopass"), [grant]).client("sagemaker", endpoint_url=sandbox.url)
    with pytest.raises(ClientError) as exc:
        sm.create_model(ModelName=unique("m"), ExecutionRoleArn=execution, PrimaryContainer={"Image": "i"})
    assert f"iam:PassRole on resource: {execution}" in _error(exc)[1]

    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": execution,
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }
    sm = _role(sandbox, "dev", unique("pass"), [grant, pass_role]).client("sagemaker", endpoint_url=sandbox.url)
    sm.create_model(ModelName=unique("m"), ExecutionRoleArn=execution, PrimaryContainer={"Image": "i"})


def test_explicit_deny_wins_and_says_so(sandbox: Sandbox, unique: Unique) -> None:
    statements = [
        {"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sagemaker:DeleteModel", "Resource": "*"},
    ]
    sm: Any = _role(sandbox, "dev", unique("denied"), statements).client("sagemaker", endpoint_url=sandbox.url)
    sm.list_models()
    with pytest.raises(ClientError) as exc:
        sm.delete_model(ModelName="anything")
    assert _error(exc)[1].endswith("with an explicit deny in an identity-based policy")


def test_s3_denial_is_a_403_xml_access_denied(sandbox: Sandbox, unique: Unique) -> None:
    bucket = unique("private")
    admin: Any = sandbox.client("s3")
    admin.create_bucket(Bucket=bucket)
    admin.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3: Any = _role(sandbox, "tooling", unique("reader"), []).client("s3", endpoint_url=sandbox.url)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    code, message, status = _error(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert f"s3:GetObject on resource: arn:aws:s3:::{bucket}/k" in message


def test_cross_account_needs_both_the_identity_and_the_bucket_policy(sandbox: Sandbox, unique: Unique) -> None:
    bucket = unique("shared")
    admin: Any = sandbox.client("s3")
    admin.create_bucket(Bucket=bucket)
    admin.put_object(Bucket=bucket, Key="k", Body=b"v")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    with_grant: Any = _role(sandbox, "dev", unique("granted"), [read]).client("s3", endpoint_url=sandbox.url)
    without: Any = _role(sandbox, "dev", unique("ungranted"), []).client("s3", endpoint_url=sandbox.url)

    with pytest.raises(ClientError) as exc:  # identity allows, the bucket policy does not
        with_grant.get_object(Bucket=bucket, Key="k")
    assert "because no resource-based policy allows the s3:GetObject action" in _error(exc)[1]

    bucket_side = dict(read, Principal={"AWS": f"arn:aws:iam::{DEV}:root"})
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [bucket_side]}))
    assert with_grant.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    with pytest.raises(ClientError) as exc:  # the bucket policy allows, the identity does not
        without.get_object(Bucket=bucket, Key="k")
    assert "because no identity-based policy allows the s3:GetObject action" in _error(exc)[1]


def test_kms_needs_the_key_policy(sandbox: Sandbox, unique: Unique) -> None:
    kms: Any = sandbox.client("kms")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{TOOLING}:role/OrganizationAccountAccessRole"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    key = kms.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["Arn"]
    everything = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    user: Any = _role(sandbox, "tooling", unique("kmsuser"), [everything]).client("kms", endpoint_url=sandbox.url)
    with pytest.raises(ClientError) as exc:  # the identity allows, but the key policy names neither it nor the account
        user.encrypt(KeyId=key, Plaintext=b"x")
    code, message, _ = _error(exc)
    assert code == "AccessDeniedException"
    assert f"kms:Encrypt on resource: {key}" in message


def test_assume_role_is_decided_by_the_trust_policy(sandbox: Sandbox, unique: Unique) -> None:
    iam: Any = sandbox.client("iam", "dev")
    name = unique("trusts-staging")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{STAGING}:root"}))
    with pytest.raises(ClientError) as exc:
        sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{name}", RoleSessionName="probe")  # type: ignore[attr-defined]
    code, message, status = _error(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert f"sts:AssumeRole on resource: arn:aws:iam::{DEV}:role/{name}" in message
    sts: Any = sandbox.client("sts")
    with pytest.raises(ClientError):  # a role that does not exist cannot be assumed either
        sts.assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{unique('nobody')}", RoleSessionName="probe")


def test_unknown_session_credentials_are_refused(sandbox: Sandbox) -> None:
    forged = boto3.Session(aws_access_key_id="ASIAFORGEDFORGED0000", aws_secret_access_key="x", aws_session_token="t")
    with pytest.raises(ClientError) as exc:
        forged.client("sagemaker", endpoint_url=sandbox.url, region_name=REGION).list_models()
    assert _error(exc)[0] == "UnrecognizedClientException"


def test_transact_write_items_checks_each_item_with_its_leading_key(sandbox: Sandbox, unique: Unique) -> None:
    table = unique("ledger")
    admin: Any = sandbox.client("dynamodb")
    admin.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    own = {
        "Effect": "Allow",
        "Action": "dynamodb:PutItem",
        "Resource": f"arn:aws:dynamodb:{REGION}:{TOOLING}:table/{table}",
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["STAGE#dev", "VERSION#*"]}},
    }
    ddb: Any = _role(sandbox, "tooling", unique("dev-ledger"), [own]).client("dynamodb", endpoint_url=sandbox.url)

    def put(pk: str) -> dict[str, Any]:
        return {"Put": {"TableName": table, "Item": {"pk": {"S": pk}, "sk": {"S": "x"}}}}

    ddb.transact_write_items(TransactItems=[put("STAGE#dev"), put("VERSION#3")])
    with pytest.raises(ClientError) as exc:
        ddb.transact_write_items(TransactItems=[put("STAGE#dev"), put("STAGE#staging")])
    assert "dynamodb:PutItem" in _error(exc)[1]
    assert admin.get_item(TableName=table, Key={"pk": {"S": "STAGE#staging"}, "sk": {"S": "x"}}).get("Item") is None


def _report(sandbox: Sandbox) -> dict[str, Any]:
    with urllib.request.urlopen(f"{sandbox.url}/_sandbox/iam/report", timeout=30) as answer:
        data: dict[str, Any] = json.loads(answer.read())
    return data


def test_report_lists_denials_and_unused_grants(sandbox: Sandbox, unique: Unique) -> None:
    name = unique("reported")
    grants = [
        {"Sid": "Used", "Effect": "Allow", "Action": "sagemaker:ListModels", "Resource": "*"},
        {
            "Sid": "Unused",
            "Effect": "Allow",
            "Action": ["sagemaker:ListEndpoints", "sagemaker:ListModels"],
            "Resource": "*",
        },
    ]
    sm: Any = _role(sandbox, "dev", name, grants).client("sagemaker", endpoint_url=sandbox.url)
    sm.list_models()
    with pytest.raises(ClientError):
        sm.list_endpoint_configs()
    [role] = [r for r in _report(sandbox)["roles"] if r["role"] == f"arn:aws:iam::{DEV}:role/{name}"]
    assert role["allowed"] == {"sagemaker:ListModels": 1}
    assert [(d["action"], d["outcome"]) for d in role["denied"]] == [("sagemaker:ListEndpointConfigs", "implicit-deny")]
    unused = {(g["statement"], g["action"]) for g in role["unused_grants"]}
    assert ("Unused", "sagemaker:ListEndpoints") in unused
    assert ("Used", "sagemaker:ListModels") not in unused


def test_simulate_principal_policy_uses_the_same_evaluator(sandbox: Sandbox, unique: Unique) -> None:
    name = unique("simulated")
    _role(
        sandbox,
        "dev",
        name,
        [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
    )
    iam: Any = sandbox.client("iam", "dev")
    results = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{DEV}:role/{name}",
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::b/k"],
    )["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"]) for r in results] == [
        ("s3:GetObject", "allowed"),
        ("s3:PutObject", "implicitDeny"),
    ]
    custom = iam.simulate_custom_policy(
        PolicyInputList=[
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
        ],
        ActionNames=["sagemaker:ListModels"],
    )["EvaluationResults"]
    assert custom[0]["EvalDecision"] == "explicitDeny"


# ---------------------------------------------------------------- SageMaker hosting acts as the execution role


def _execution_role(sandbox: Sandbox, name: str, statements: list[dict[str, Any]]) -> str:
    iam: Any = sandbox.client("iam", "dev")
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "sagemaker.amazonaws.com"}))[
        "Role"
    ]["Arn"]
    if statements:
        iam.put_role_policy(
            RoleName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
        )
    return arn


def _model(sm: Any, unique: Unique, role_arn: str) -> str:
    name = unique("model")
    container = {"Image": "img", "ModelDataUrl": "s3://artifacts/model.tar.gz", "Environment": FAST}
    sm.create_model(ModelName=name, ExecutionRoleArn=role_arn, Containers=[container])
    return name


def test_endpoint_fails_when_the_execution_role_cannot_read_the_artifact(sandbox: Sandbox, unique: Unique) -> None:
    sm: Any = sandbox.client("sagemaker", "dev")
    role = _execution_role(sandbox, unique("noread"), [])
    endpoint = unique("endpoint")
    sm.create_endpoint(
        EndpointName=endpoint, EndpointConfigName=make_config(sm, unique("config"), _model(sm, unique, role))
    )
    failed = wait_for(sm, endpoint, settled)
    assert failed["EndpointStatus"] == "Failed"
    assert failed["FailureReason"].startswith("Could not access model data at s3://artifacts/model.tar.gz.")
    assert '"s3:GetObject"' in failed["FailureReason"]


def test_update_rolls_back_when_the_execution_role_cannot_read_the_alarms(sandbox: Sandbox, unique: Unique) -> None:
    sm: Any = sandbox.client("sagemaker", "dev")
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/*"}
    role = _execution_role(sandbox, unique("noalarms"), [read])
    endpoint = unique("endpoint")
    first = make_config(sm, unique("config"), _model(sm, unique, role))
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=first)
    assert wait_for(sm, endpoint, settled)["EndpointStatus"] == "InService"
    alarm = unique("alarm")
    policy = canary({"Type": "INSTANCE_COUNT", "Value": 1}, 5)
    policy["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    second = make_config(sm, unique("config"), _model(sm, unique, role))
    sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=second, DeploymentConfig=policy)
    rolled = wait_for(sm, endpoint, lambda d: d["EndpointStatus"] == "InService")
    assert rolled["EndpointConfigName"] == first
    assert "cloudwatch:DescribeAlarms" in rolled["FailureReason"]


# ---------------------------------------------------------------- the switch


@pytest.fixture(scope="module")
def unenforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with running(Path(tmp_path_factory.mktemp("iam-off")), iam_mode="off") as box:
        yield box


def test_switch_off_lets_everything_through(unenforced: Sandbox, unique: Unique) -> None:
    sm: Any = _role(unenforced, "dev", unique("nogrant"), []).client("sagemaker", endpoint_url=unenforced.url)
    assert sm.list_models()["Models"] == []


def test_eventbridge_needs_the_queue_policy(sandbox: Sandbox, unique: Unique) -> None:
    events: Any = sandbox.client("events", "dev")
    sqs: Any = sandbox.client("sqs", "dev")
    url = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["iam.test"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    entry = {"Source": "iam.test", "DetailType": "x", "Detail": "{}"}
    events.put_events(Entries=[entry])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    let_eventbridge_send(sqs, url, arn)
    events.put_events(Entries=[entry])
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_image_pull_across_accounts_needs_the_repository_policy(sandbox: Sandbox, unique: Unique) -> None:
    repository = unique("churn")
    ecr: Any = sandbox.client("ecr")
    ecr.create_repository(repositoryName=repository)
    pull = {
        "Effect": "Allow",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        "Resource": f"arn:aws:ecr:{REGION}:{TOOLING}:repository/{repository}",
    }
    read = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artifacts/*"}
    role = _execution_role(sandbox, unique("puller"), [pull, read])
    sm: Any = sandbox.client("sagemaker", "dev")
    image = f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/{repository}:1"

    def endpoint_with_image() -> dict[str, Any]:
        model = unique("model")
        container = {"Image": image, "ModelDataUrl": "s3://artifacts/model.tar.gz", "Environment": FAST}
        sm.create_model(ModelName=model, ExecutionRoleArn=role, Containers=[container])
        endpoint = unique("endpoint")
        sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=make_config(sm, unique("config"), model))
        return wait_for(sm, endpoint, settled)

    failed = endpoint_with_image()
    assert failed["EndpointStatus"] == "Failed"
    assert f"does not have BatchGetImage permission for the image: '{image}'" in failed["FailureReason"]
    statement = {**pull, "Principal": {"AWS": role}}
    del statement["Resource"]
    ecr.set_repository_policy(
        repositoryName=repository, policyText=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    assert endpoint_with_image()["EndpointStatus"] == "InService"


def test_permission_only_actions_are_authorized_for_the_local_build_runner(sandbox: Sandbox, unique: Unique) -> None:
    group = f"arn:aws:codebuild:{REGION}:{DEV}:report-group/p-smoke"
    grant = {"Effect": "Allow", "Action": ["codebuild:CreateReport", "codebuild:UpdateReport"], "Resource": group}
    session = _role(sandbox, "dev", unique("build"), [grant])
    calls = [{"action": a, "resource": group} for a in ("codebuild:CreateReport", "codebuild:BatchPutTestCases")]
    body = json.dumps({"access_key": session.get_credentials().access_key, "calls": calls}).encode()
    request = urllib.request.Request(f"{sandbox.url}/_sandbox/iam/authorize", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        decisions = json.loads(answer.read())["decisions"]
    assert [d["allowed"] for d in decisions] == [True, False]
    assert "codebuild:BatchPutTestCases on resource: " + group in decisions[1]["message"]


def test_iam_report_command_prints_the_summary(
    sandbox: Sandbox, unique: Unique, capsys: pytest.CaptureFixture[str]
) -> None:
    from sandbox.cli import main

    name = unique("summarized")
    sm: Any = _role(sandbox, "dev", name, []).client("sagemaker", endpoint_url=sandbox.url)
    with pytest.raises(ClientError):
        sm.list_models()
    port = sandbox.url.rsplit(":", 1)[1]
    assert main(["iam-report", "--port", port, "--summary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("IAM report: ")
    assert f"arn:aws:iam::{DEV}:role/{name}: 0 allowed, 1 denied" in out
    assert f"DENIED x1 User: arn:aws:sts::{DEV}:assumed-role/{name}/probe is not authorized" in out


def _assume_as_service(sandbox: Sandbox, service: str, role_arn: str, source_arn: str) -> tuple[int, dict[str, Any]]:
    body = json.dumps({"service": service, "role_arn": role_arn, "source_arn": source_arn}).encode()
    request = urllib.request.Request(f"{sandbox.url}/_sandbox/sts/assume-role-as-service", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_service_role_is_assumed_by_its_service_per_the_trust_policy(sandbox: Sandbox, unique: Unique) -> None:
    name = unique("project-role")
    project = f"arn:aws:codebuild:{REGION}:{DEV}:project/{name}"
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "codebuild.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": DEV}, "ArnLike": {"aws:SourceArn": project}},
    }
    iam: Any = sandbox.client("iam", "dev")
    role_arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )["Role"]["Arn"]

    status, answer = _assume_as_service(sandbox, "codebuild.amazonaws.com", role_arn, project)
    assert status == 200
    creds = answer["Credentials"]
    session = session_from(creds, REGION)
    caller = session.client("sts", endpoint_url=sandbox.url).get_caller_identity()["Arn"]
    assert caller.startswith(f"arn:aws:sts::{DEV}:assumed-role/{name}/")

    status, answer = _assume_as_service(sandbox, "codebuild.amazonaws.com", role_arn, project + "-other")
    assert status == 403 and "sts:AssumeRole" in answer["error"]
    status, _ = _assume_as_service(sandbox, "codepipeline.amazonaws.com", role_arn, project)
    assert status == 403
    with pytest.raises(ClientError):  # the operator's own credentials cannot assume a service role
        sandbox.client("sts", "dev").assume_role(RoleArn=role_arn, RoleSessionName="operator")  # type: ignore[attr-defined]


def test_kms_resource_aliases_condition(sandbox: Sandbox, unique: Unique) -> None:
    kms: Any = sandbox.client("kms")
    aliased = kms.create_key()["KeyMetadata"]["Arn"]  # the default key policy delegates to the account's IAM
    alias = f"alias/{unique('churn-registry')}"
    kms.create_alias(AliasName=alias, TargetKeyId=aliased)
    plain = kms.create_key()["KeyMetadata"]["Arn"]
    grant = {
        "Effect": "Allow",
        "Action": "kms:Encrypt",
        "Resource": "*",
        "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}},
    }
    user: Any = _role(sandbox, "tooling", unique("by-alias"), [grant]).client("kms", endpoint_url=sandbox.url)
    user.encrypt(KeyId=aliased, Plaintext=b"x")
    with pytest.raises(ClientError) as exc:
        user.encrypt(KeyId=plain, Plaintext=b"x")
    assert _error(exc)[0] == "AccessDeniedException"
