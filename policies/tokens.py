"""Resource type tokens the policies read, and their lookup in the installed provider SDKs.

A token that drifts (renamed or removed in a provider upgrade) would make a policy silently
match nothing; `resource_class` raises `UnknownTypeToken` for it and the tests check every
token declared here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pulumi.runtime.rpc as rpc

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
S3_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_LOGGING = "aws:s3/bucketLogging:BucketLogging"
SQS_QUEUE = "aws:sqs/queue:Queue"
SQS_REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
CLOUDWATCH_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KMS_KEY = "aws:kms/key:Key"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
CLOUDTRAIL_TRAIL = "aws:cloudtrail/trail:Trail"
SNS_TOPIC = "aws:sns/topic:Topic"
LB_LISTENER = "aws:lb/listener:Listener"
CF_ZONE_SETTING = "cloudflare:index/zoneSetting:ZoneSetting"
CF_RULESET = "cloudflare:index/ruleset:Ruleset"
CF_API_TOKEN = "cloudflare:index/apiToken:ApiToken"

ALL_TOKENS: tuple[str, ...] = tuple(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
"""Every token above (the drift test walks these)."""

_PROVIDER_PACKAGES = {"aws": "pulumi_aws", "cloudflare": "pulumi_cloudflare"}


class UnknownTypeToken(LookupError):
    """A resource type token that no installed provider SDK defines."""


@functools.cache
def resource_class(token: str) -> type:
    """The SDK class registered for `token` (e.g. `pulumi_aws.s3.Bucket`)."""
    package, _, rest = token.partition(":")
    module_name, _, class_token = rest.rpartition(":")
    if package not in _PROVIDER_PACKAGES or not module_name or not class_token:
        raise UnknownTypeToken(f"{token!r} is not an aws or cloudflare resource type token")
    importlib.import_module(_PROVIDER_PACKAGES[package])  # registers the provider's modules
    module = rpc.get_resource_module(package, module_name, "")
    mod_info = getattr(module, "mod_info", None)
    class_name = (mod_info or {}).get("classes", {}).get(token)
    if module is None or class_name is None:
        raise UnknownTypeToken(f"{token!r} is not defined by the installed {package} SDK")
    return getattr(importlib.import_module(mod_info["fqn"]), class_name)  # type: ignore[index]


@functools.cache
def accepts_tags(token: str) -> bool:
    """Whether the AWS resource class behind `token` takes a `tags` argument."""
    try:
        cls = resource_class(token)
    except UnknownTypeToken:
        return False
    init: Callable[..., Any] = getattr(cls, "_internal_init", None) or cls
    return "tags" in inspect.signature(init).parameters
