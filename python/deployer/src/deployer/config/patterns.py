"""Patterns of the stage config's fields (what the `allowed:` part of a problem describes)."""

from __future__ import annotations

import re

PROJECT = re.compile(r"^[a-z0-9-]{1,40}$")
# A model of the platform (its ledger keys, endpoint names, roles) and the platform itself: project's charset.
MODEL = PROJECT
PLATFORM = PROJECT
STAGE = re.compile(r"^[a-z0-9-]{1,20}$")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
SM_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:([a-z0-9-]+):(\d{12}):model-package-group/([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
TABLE = re.compile(r"^[a-zA-Z0-9_.-]{3,255}$")
BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[\w.+=,@/-]{1,256}$")
KMS = re.compile(r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/[\w/+=,.@-]+|alias/[\w/+=,.@-]+|[0-9a-f-]{36})$")
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
ALARM = re.compile(r"^[^\x00-\x1f]{1,255}$")
SMOKE_DIR = re.compile(r"^(?!/)(?!.*(^|/)\.\.(/|$))[\w./-]{1,255}$")
# EC2 ids: the prefix and 8 (older) or 17 lowercase hex digits, as modules/stage's var.vpc checks them.
SUBNET_ID = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
SECURITY_GROUP_ID = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
