"""The pack as the Pulumi CLI runs it: `python policies/__main__.py` serves the Analyzer gRPC
API on 127.0.0.1; the test talks to it like the CLI does (info, config, analyze)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

import policies
from policies.pack import all_policies

pytestmark = pytest.mark.integration

MAIN = Path(policies.__file__).with_name("__main__.py")
MANDATORY = analyzer_pb2.EnforcementLevel.Value("MANDATORY")


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    env = {**os.environ, "PULUMI_STACK": "prod"}
    process = subprocess.Popen(
        [sys.executable, str(MAIN)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=MAIN.parent,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            _, stderr = process.communicate(timeout=30)
            pytest.fail(f"policy pack did not print its port: {line!r} {stderr.decode()[-500:]}")
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.terminate()
        process.wait(timeout=30)


def _struct(values: dict) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def test_info_lists_every_policy_and_the_stack_config(analyzer) -> None:  # type: ignore[no-untyped-def]
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "media-infra"
    assert {p.name for p in info.policies} == {p.name for p in all_policies()}
    assert len(info.policies) >= 20
    rules = info.initialConfig["cloudflare-cache-ttls-match-settings"].properties["cacheRules"]
    assert rules["images"]["edgeTtlSeconds"] == 31536000


def test_analyze_reports_a_public_bucket_as_mandatory(analyzer) -> None:  # type: ignore[no-untyped-def]
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:s3/bucket:Bucket",
        name="rogue",
        urn="urn:pulumi:prod::media-infra::aws:s3/bucket:Bucket::rogue",
        properties=_struct({"bucket": "rogue", "acl": "public-read"}),
    )
    response = analyzer.Analyze(request)
    found = {(d.policyName, d.enforcementLevel) for d in response.diagnostics}
    assert ("s3-no-public-access", MANDATORY) in found
    assert ("aws-required-tags", MANDATORY) in found


def test_analyze_passes_a_rotating_tagged_key(analyzer) -> None:  # type: ignore[no-untyped-def]
    tags = {"service": "media-infra", "stack": "prod", "owner": "o", "data-class": "internal"}
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:kms/key:Key",
        name="key",
        urn="urn:pulumi:prod::media-infra::aws:kms/key:Key::key",
        properties=_struct({"enableKeyRotation": True, "tags": tags}),
    )
    assert list(analyzer.Analyze(request).diagnostics) == []


def test_analyze_stack_reports_an_unversioned_bucket(analyzer) -> None:  # type: ignore[no-untyped-def]
    bucket_urn = "urn:pulumi:prod::media-infra::aws:s3/bucket:Bucket::media"
    versioning_urn = "urn:pulumi:prod::media-infra::aws:s3/bucketVersioning:BucketVersioning::v"
    bucket = analyzer_pb2.AnalyzerResource(
        type="aws:s3/bucket:Bucket",
        name="media",
        urn=bucket_urn,
        properties=_struct({"bucket": "media"}),
    )
    suspended = analyzer_pb2.AnalyzerResource(
        type="aws:s3/bucketVersioning:BucketVersioning",
        name="v",
        urn=versioning_urn,
        properties=_struct(
            {"bucket": "media-id", "versioningConfiguration": {"status": "Suspended"}}
        ),
        dependencies=[bucket_urn],
    )
    response = analyzer.AnalyzeStack(
        analyzer_pb2.AnalyzeStackRequest(resources=[bucket, suspended])
    )
    versioning = [d for d in response.diagnostics if d.policyName == "s3-versioning-enabled"]
    assert [(d.urn, d.enforcementLevel) for d in versioning] == [(bucket_urn, MANDATORY)]
    assert "'Suspended'" in versioning[0].message


def test_preview_unknowns_do_not_hide_or_fake_violations(analyzer) -> None:  # type: ignore[no-untyped-def]
    """In a real preview a key ARN or a DLQ ARN is unknown: presence still counts."""
    unknown = UNKNOWN_STRING_VALUE
    queue = analyzer_pb2.AnalyzeRequest(
        type="aws:sqs/queue:Queue",
        name="jobs",
        urn="urn:pulumi:prod::media-infra::aws:sqs/queue:Queue::jobs",
        properties=_struct({"name": "jobs", "kmsMasterKeyId": unknown, "redrivePolicy": unknown}),
    )
    names = {d.policyName for d in analyzer.Analyze(queue).diagnostics}
    assert "sqs-queue-encrypted" not in names

    dlq_urn = "urn:pulumi:prod::media-infra::aws:sqs/queue:Queue::jobs-dlq"
    resources = [
        analyzer_pb2.AnalyzerResource(
            type=queue.type,
            name=queue.name,
            urn=queue.urn,
            properties=queue.properties,
            dependencies=[dlq_urn],
        ),
        analyzer_pb2.AnalyzerResource(
            type=queue.type,
            name="jobs-dlq",
            urn=dlq_urn,
            properties=_struct({"name": "jobs-dlq", "sqsManagedSseEnabled": True}),
        ),
    ]
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources))
    dlq = [d for d in response.diagnostics if d.policyName == "sqs-queue-has-dlq"]
    assert dlq == []
    depth = [d for d in response.diagnostics if d.policyName == "sqs-dlq-depth-alarm"]
    assert [d.urn for d in depth] == [dlq_urn]
