"""Refuse to remove a model's stage while its endpoint is live (run by the endpoint guard's destroy provisioner).

The endpoint is the deployer's, never Terraform's: removing a model from the models map would otherwise delete
the repository, pipeline, execution role and key the live endpoint runs on. Exit 0 when the endpoint is gone,
1 (with what to do) when it exists, 2 when it cannot tell. Uses boto3 only (AWS_ENDPOINT_URL is honoured).
"""

from __future__ import annotations

import argparse
import sys

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument(
        "--role-arn", default="", help="role to assume first (the Terraform role); empty: the current credentials"
    )
    parser.add_argument("--teardown-project", required=True)
    args = parser.parse_args()
    try:
        session = boto3.Session(region_name=args.region)
        if args.role_arn:
            creds = session.client("sts").assume_role(
                RoleArn=args.role_arn, RoleSessionName="terraform-endpoint-guard"
            )["Credentials"]
            session = boto3.Session(
                region_name=args.region,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        status = session.client("sagemaker").describe_endpoint(EndpointName=args.endpoint)["EndpointStatus"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ValidationException" and "Could not find endpoint" in error.get("Message", ""):
            print(f"endpoint guard: {args.endpoint} does not exist; the model's stage resources may go")
            return 0
        print(f"endpoint guard: cannot tell whether endpoint {args.endpoint} exists: {exc}", file=sys.stderr)
        return 2
    except BotoCoreError as exc:
        print(f"endpoint guard: cannot tell whether endpoint {args.endpoint} exists: {exc}", file=sys.stderr)
        return 2
    print(
        f"endpoint guard: endpoint {args.endpoint} exists ({status}): removing this model would delete "
        f"what it runs on. "
        f"Tear it down first (aws codebuild start-build --project-name {args.teardown_project}, or "
        f"`deployer teardown`), then apply again. Nothing of this model was removed.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
