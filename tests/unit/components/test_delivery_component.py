"""MediaDelivery under the offline engine: origin ALB and service, Cloudflare zone and rules."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_records import ComponentMocks, json_input, named, of_type, run

from components.alb_service import cluster_name
from components.cache_rules import USER_COPIES_REF, cloudflare_expression
from components.delivery import (
    DeliveryArgsError,
    MediaDelivery,
    MediaDeliveryArgs,
    alb_target_ports,
    origin_secrets,
)
from stacks.engine import (
    CF_PERMISSION_GROUPS_TOKEN,
    ZONE_SCOPE,
    ResourceRecord,
    permission_groups,
)
from stacks.settings import Settings

KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/stand-in"
CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/musicco-media-workers-prod"
PURGE_GROUP_ID = "e17beae8b8cb423a99b1730f21238bed"
ALB_DNS = "delivery-alb-123.eu-west-1.elb.amazonaws.com"
WATERMARK_SECRET_ARN = (
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:musicco-media-audio-watermark-key-prod"
)


class ProviderLikeMocks(ComponentMocks):
    """Offline mocks that also answer what a provider computes for delivery's resources (the
    engine's mocks answer the Cache Purge permission-group lookup)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "aws:acm/certificate:Certificate":
            names = [args.inputs["domainName"], *args.inputs.get("subjectAlternativeNames", [])]
            state["domainValidationOptions"] = [
                {
                    "domainName": name,
                    "resourceRecordName": f"_acme.{name}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_v.{name}.acm-validations.aws.",
                }
                for name in names
            ]
        if args.typ == "aws:lb/loadBalancer:LoadBalancer":
            state["dnsName"] = ALB_DNS
        return resource_id, state


class NoPermissionGroups(ComponentMocks):
    """A Cloudflare account whose permission-group lookup finds nothing."""

    def call(self, args: pulumi.runtime.MockCallArgs) -> Any:
        if args.token == CF_PERMISSION_GROUPS_TOKEN:
            return {"results": []}
        return super().call(args)


def build(
    settings: Settings,
    mocks: pulumi.runtime.Mocks | None = None,
    watermark_secret_arn: str | None = WATERMARK_SECRET_ARN,
) -> list[ResourceRecord]:
    def program() -> None:
        derivatives = aws.s3.Bucket(
            "stand-in-derivatives", bucket=settings.bucket_name("derivatives")
        )
        MediaDelivery(
            "delivery",
            MediaDeliveryArgs(
                settings=settings,
                cluster_arn=CLUSTER_ARN,
                derivatives_bucket=derivatives,
                kms_key_arn=KMS_ARN,
                watermark_secret_arn=watermark_secret_arn,
            ),
        )

    return run(settings, program, mocks or ProviderLikeMocks(settings.region))


@pytest.fixture(scope="module")
def prod(prod_settings: Settings) -> list[ResourceRecord]:
    assert prod_settings.delivery.user_watermark == "signed-users"
    return build(prod_settings)


def with_user_watermark(settings: Settings, mode: str) -> Settings:
    delivery = settings.delivery.model_copy(update={"user_watermark": mode})
    return settings.model_copy(update={"delivery": delivery})


@pytest.fixture(scope="module")
def prod_without_copies(prod_settings: Settings) -> list[ResourceRecord]:
    """`user_watermark: off`, and no watermark secret passed (none is needed)."""
    return build(with_user_watermark(prod_settings, "off"), watermark_secret_arn=None)


def test_zone_settings(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    settings = {
        r.inputs["settingId"]: r.inputs["value"]
        for r in of_type(prod, "cloudflare:index/zoneSetting:ZoneSetting")
    }
    assert settings == {
        "brotli": "on",
        "http3": "on",
        "0rtt": "on",
        "early_hints": "on",
        "min_tls_version": "1.2",
        "always_use_https": "on",
    }
    zone = prod_settings.delivery.cloudflare_zone_id
    zoned = [r for r in prod if r.type.startswith("cloudflare:") and "apiToken" not in r.type]
    assert zoned and all(r.inputs["zoneId"] == zone for r in zoned)
    assert named(prod, "delivery-tiered-cache").inputs["value"] == "on"
    assert named(prod, "delivery-smart-tiered-cache").inputs["value"] == "on"


def test_cache_ruleset_has_the_settings_ttls(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    (ruleset,) = of_type(prod, "cloudflare:index/ruleset:Ruleset")
    assert (ruleset.inputs["kind"], ruleset.inputs["phase"]) == (
        "zone",
        "http_request_cache_settings",
    )
    rules = ruleset.inputs["rules"]
    table = prod_settings.delivery.cache_rules
    assert len(rules) == len(table) + 1  # the classes, then the per-user copies bypass
    for rule, rendered in zip(table, rules[:-1], strict=True):
        assert rendered["action"] == "set_cache_settings"
        assert rendered["expression"] == cloudflare_expression(rule)
        params = rendered["actionParameters"]
        assert params["cache"] is True
        assert params["edgeTtl"] == {"mode": "override_origin", "default": rule.edge_ttl_seconds}
        if rule.browser_ttl_seconds:
            assert params["browserTtl"] == {
                "mode": "override_origin",
                "default": rule.browser_ttl_seconds,
            }
        else:
            assert params["browserTtl"] == {"mode": "bypass"}
    by_ref = {r["ref"]: r for r in rules}
    assert by_ref["cache-images"]["expression"] == (
        'http.request.uri.path.extension in {"jpg" "jpeg" "png" "webp" "avif"}'
    )
    assert by_ref["cache-images"]["actionParameters"]["edgeTtl"]["default"] == 31536000
    assert by_ref["cache-audio"]["actionParameters"]["edgeTtl"]["default"] == 2592000
    assert by_ref["cache-api"]["expression"] == 'starts_with(http.request.uri.path, "/api/")'
    assert by_ref["cache-api"]["actionParameters"]["edgeTtl"]["default"] == 300
    assert by_ref["cache-hls-playlists"]["actionParameters"]["edgeTtl"]["default"] == 10


def test_alb_admits_only_cloudflare(prod: list[ResourceRecord], prod_settings: Settings) -> None:
    delivery = prod_settings.delivery
    alb_group = named(prod, "delivery-alb-sg")
    (ingress,) = alb_group.inputs["ingress"]
    assert (ingress["protocol"], ingress["fromPort"], ingress["toPort"]) == ("tcp", 443, 443)
    assert ingress["cidrBlocks"] == list(delivery.cloudflare_ipv4_cidrs)
    assert ingress["ipv6CidrBlocks"] == list(delivery.cloudflare_ipv6_cidrs)
    assert "0.0.0.0/0" not in ingress["cidrBlocks"]
    origin_group = named(prod, "delivery-origin-sg")
    (from_alb,) = origin_group.inputs["ingress"]
    assert from_alb["securityGroups"] == [alb_group.id]
    assert from_alb["fromPort"] == delivery.origin_container_port
    alb = named(prod, "delivery-alb")
    assert alb.inputs["securityGroups"] == [alb_group.id]
    assert alb.inputs["subnets"] == list(prod_settings.network.public_subnet_ids)
    assert alb.inputs["internal"] is False and alb.inputs["dropInvalidHeaderFields"] is True


def test_https_listener_with_validated_certificate(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    delivery = prod_settings.delivery
    cert = named(prod, "delivery-origin-cert")
    assert cert.inputs["domainName"] == delivery.origin_hostname
    assert cert.inputs["subjectAlternativeNames"] == [delivery.domain]
    assert cert.inputs["validationMethod"] == "DNS"
    records = [named(prod, f"delivery-cert-validation-{i}") for i in (0, 1)]
    assert [r.inputs["name"] for r in records] == [
        f"_acme.{delivery.origin_hostname}.",
        f"_acme.{delivery.domain}.",
    ]
    assert all(r.inputs["proxied"] is False and r.inputs["type"] == "CNAME" for r in records)
    validation = named(prod, "delivery-cert-validation")
    assert validation.inputs["validationRecordFqdns"] == [r.inputs["name"] for r in records]
    listener = named(prod, "delivery-https")
    assert listener.inputs["protocol"] == "HTTPS" and listener.inputs["port"] == 443
    assert listener.inputs["sslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    assert listener.inputs["mutualAuthentication"] == {"mode": "passthrough"}
    (action,) = listener.inputs["defaultActions"]
    assert action["type"] == "forward"
    assert action["targetGroupArn"] == named(prod, "delivery-tg").state["arn"]


def test_mtls_verifies_with_a_trust_store(prod_settings: Settings) -> None:
    delivery = prod_settings.delivery.model_copy(
        update={"origin_pull_ca_bundle_s3_uri": "s3://musicco-trust/cloudflare/origin-pull-ca.pem"}
    )
    records = build(prod_settings.model_copy(update={"delivery": delivery}))
    store = named(records, "delivery-origin-pull-ca")
    assert store.inputs["caCertificatesBundleS3Bucket"] == "musicco-trust"
    assert store.inputs["caCertificatesBundleS3Key"] == "cloudflare/origin-pull-ca.pem"
    listener = named(records, "delivery-https")
    assert listener.inputs["mutualAuthentication"] == {
        "mode": "verify",
        "trustStoreArn": store.state["arn"],
    }


def test_authenticated_origin_pulls_and_dns(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    assert named(prod, "delivery-origin-pulls").inputs["enabled"] is True
    media = named(prod, "delivery-dns-media")
    assert media.inputs["name"] == prod_settings.delivery.domain
    assert (media.inputs["type"], media.inputs["content"], media.inputs["proxied"]) == (
        "CNAME",
        ALB_DNS,
        True,
    )
    origin = named(prod, "delivery-dns-origin")
    assert origin.inputs["name"] == prod_settings.delivery.origin_hostname
    assert origin.inputs["proxied"] is False


def test_purge_token_is_scoped_to_the_zone(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    (token,) = of_type(prod, "cloudflare:index/apiToken:ApiToken")
    (policy,) = token.inputs["policies"]
    assert policy["effect"] == "allow"
    assert policy["permissionGroups"] == [{"id": PURGE_GROUP_ID}]
    zone = prod_settings.delivery.cloudflare_zone_id
    assert json.loads(policy["resources"]) == {f"com.cloudflare.api.account.zone.{zone}": "*"}


def test_origin_service_reads_derivatives_only(
    prod_without_copies: list[ResourceRecord], prod_settings: Settings
) -> None:
    """`user_watermark: off`: the origin only reads, and gets no watermark key."""
    prod = prod_without_copies
    service = named(prod, "delivery-origin-service")
    assert service.inputs["cluster"] == CLUSTER_ARN
    (balancer,) = service.inputs["loadBalancers"]
    assert balancer["targetGroupArn"] == named(prod, "delivery-tg").state["arn"]
    assert balancer["containerPort"] == prod_settings.delivery.origin_container_port
    assert named(prod, "delivery-https").urn in service.dependencies
    assert service.inputs["networkConfiguration"]["subnets"] == list(
        prod_settings.network.private_subnet_ids
    )
    (container,) = json_input(named(prod, "delivery-origin-task"), "containerDefinitions")
    assert container["command"] == [
        "mediainfra", "origin", "serve", "--stack", "prod", "--host", "0.0.0.0", "--port", "8080"
    ]  # fmt: skip
    assert container["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    secret = named(prod, "delivery-signing-key-secret")
    assert secret.inputs["name"] == "musicco-media-origin-signing-key-prod"
    assert secret.inputs["kmsKeyId"] == KMS_ARN
    assert container["secrets"] == [
        {"name": "MEDIAINFRA_ORIGIN_SIGNING_KEY", "valueFrom": secret.state["arn"]}
    ]
    assert all(e["name"] != "MEDIAINFRA_ORIGIN_SIGNING_KEY" for e in container["environment"])
    execution = json_input(named(prod, "delivery-origin-execution-policy"), "policy")
    (read,) = [s for s in execution["Statement"] if s["Sid"] == "ReadSecrets"]
    assert read["Action"] == ["secretsmanager:GetSecretValue"]
    assert read["Resource"] == [secret.state["arn"]]
    policy = json_input(named(prod, "delivery-origin-task-policy"), "policy")
    derivatives = f"arn:aws:s3:::{prod_settings.bucket_name('derivatives')}"
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    assert resources == {derivatives, f"{derivatives}/*", KMS_ARN}
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not any(a.startswith(("s3:Put", "s3:Delete")) or "*" in a for a in actions)
    assert "kms:GenerateDataKey" not in actions
    target = named(prod, "delivery-origin-scaling-target")
    config = prod_settings.processing.delivery_service
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (
        config.min_tasks,
        config.max_tasks,
    )
    assert (
        target.inputs["resourceId"]
        == f"service/musicco-media-workers-prod/{prod_settings.resource_name('origin')}"
    )
    scaling = named(prod, "delivery-origin-request-scaling")
    tracking = scaling.inputs["targetTrackingScalingPolicyConfiguration"]
    assert tracking["targetValue"] == config.backlog_per_task
    assert (
        tracking["predefinedMetricSpecification"]["predefinedMetricType"]
        == "ALBRequestCountPerTarget"
    )


def test_local_stack_has_no_origin_and_no_edge(local_settings: Settings) -> None:
    records = build(local_settings)
    assert [r.type for r in records if r.parent.endswith("::delivery")] == []
    (component,) = of_type(records, "media-infra:delivery:MediaDelivery")
    assert component.name == "delivery"


def test_engine_mocks_answer_the_cache_purge_lookup(prod_settings: Settings) -> None:
    records = build(prod_settings, ComponentMocks(prod_settings.region))
    (token,) = of_type(records, "cloudflare:index/apiToken:ApiToken")
    (policy,) = token.inputs["policies"]
    assert policy["permissionGroups"] == [{"id": PURGE_GROUP_ID}]
    assert re.fullmatch(r"[0-9a-f]{32}", PURGE_GROUP_ID)
    zone = prod_settings.delivery.cloudflare_zone_id
    assert json.loads(policy["resources"]) == {f"com.cloudflare.api.account.zone.{zone}": "*"}


def test_engine_permission_groups_filter_by_name_and_scope() -> None:
    (purge,) = permission_groups({"name": "Cache Purge", "scope": ZONE_SCOPE})["results"]
    assert purge == {
        "id": PURGE_GROUP_ID,
        "name": "Cache Purge",
        "category": "cache_and_performance",
        "isSelectable": True,
        "scopes": [ZONE_SCOPE],
    }
    assert permission_groups({"name": "Cache Purge", "scope": "com.cloudflare.api.user"}) == {
        "maxItems": None,
        "name": "Cache Purge",
        "scope": "com.cloudflare.api.user",
        "results": [],
    }
    assert len(permission_groups({})["results"]) > 1


def test_missing_permission_group_previews_with_an_empty_group(prod_settings: Settings) -> None:
    records = build(prod_settings, NoPermissionGroups(prod_settings.region))
    (token,) = of_type(records, "cloudflare:index/apiToken:ApiToken")
    assert token.inputs["policies"][0]["permissionGroups"] == [{"id": ""}]


def test_cluster_name_from_arn() -> None:
    assert cluster_name(CLUSTER_ARN) == "musicco-media-workers-prod"
    assert cluster_name("arn:aws:ecs:eu-west-1:123456789012:musicco") == "musicco"


def test_alb_reaches_the_origin_and_the_uploads_api(
    prod: list[ResourceRecord], prod_settings: Settings
) -> None:
    group = named(prod, "delivery-alb-sg")
    ports = sorted(rule["fromPort"] for rule in group.inputs["egress"])
    assert ports == [prod_settings.uploads.port, prod_settings.delivery.origin_container_port]
    off = prod_settings.model_copy(
        update={
            "uploads_service": prod_settings.uploads_service.model_copy(update={"enabled": False})
        }
    )
    assert alb_target_ports(off) == [prod_settings.delivery.origin_container_port]


@pytest.mark.parametrize("mode", ["signed-users", "required"])
def test_origin_gets_the_audio_watermark_key_and_writes_only_user_copies(
    mode: str, prod_settings: Settings
) -> None:
    """Per-user copies: the audio worker's key as a secret (never in the environment), and
    PutObject exactly on `derivatives/watermarked/*`; everything else stays read only."""
    records = build(with_user_watermark(prod_settings, mode))
    (container,) = json_input(named(records, "delivery-origin-task"), "containerDefinitions")
    signing = named(records, "delivery-signing-key-secret").state["arn"]
    assert container["secrets"] == [
        {"name": "MEDIAINFRA_AUDIO_WATERMARK_KEY", "valueFrom": WATERMARK_SECRET_ARN},
        {"name": "MEDIAINFRA_ORIGIN_SIGNING_KEY", "valueFrom": signing},
    ]
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert "MEDIAINFRA_AUDIO_WATERMARK_KEY" not in environment
    shipped = json.loads(environment["MEDIAINFRA_SETTINGS"])
    assert "watermark_key" not in shipped["audio"]
    assert shipped["delivery"]["user_watermark"] == mode

    execution = json_input(named(records, "delivery-origin-execution-policy"), "policy")
    by_sid = {s["Sid"]: s for s in execution["Statement"]}
    assert by_sid["ReadSecrets"]["Resource"] == sorted([signing, WATERMARK_SECRET_ARN])
    assert by_sid["DecryptSecrets"]["Action"] == ["kms:Decrypt"]
    assert by_sid["DecryptSecrets"]["Resource"] == [KMS_ARN]
    assert by_sid["DecryptSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }

    policy = json_input(named(records, "delivery-origin-task-policy"), "policy")
    derivatives = f"arn:aws:s3:::{prod_settings.bucket_name('derivatives')}"
    writes = [s for s in policy["Statement"] if any(a.startswith("s3:Put") for a in s["Action"])]
    assert writes == [
        {
            "Sid": "WriteUnderPrefixes",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{derivatives}/watermarked/*"],
        }
    ]
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not any(a.startswith("s3:Delete") or "*" in a for a in actions)
    assert {r for s in policy["Statement"] for r in s["Resource"]} == {
        derivatives,
        f"{derivatives}/*",
        f"{derivatives}/watermarked/*",
        KMS_ARN,
    }
    (encryption,) = [s for s in policy["Statement"] if s["Sid"] == "Encryption"]
    assert "kms:GenerateDataKey" in encryption["Action"]
    assert encryption["Resource"] == [KMS_ARN]


def test_origin_secrets_need_the_watermark_secret_unless_off(prod_settings: Settings) -> None:
    signing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing"
    off = with_user_watermark(prod_settings, "off")
    assert origin_secrets(off, signing, WATERMARK_SECRET_ARN) == {
        "MEDIAINFRA_ORIGIN_SIGNING_KEY": signing
    }
    expected = r"user_watermark is 'signed-users'.*watermark_secret_arn"
    with pytest.raises(DeliveryArgsError, match=expected):
        origin_secrets(prod_settings, signing, None)


def test_user_claims_bypass_the_edge_cache_last(prod: list[ResourceRecord]) -> None:
    """Rendered in the ruleset as the engine sees it: the last rule, caching off, the origin's
    Cache-Control to the browser (Cloudflare applies every match; the last one wins)."""
    (ruleset,) = of_type(prod, "cloudflare:index/ruleset:Ruleset")
    last = ruleset.inputs["rules"][-1]
    assert last["ref"] == USER_COPIES_REF
    assert last["expression"] == 'http.request.uri.query contains "user="'
    assert last["action"] == "set_cache_settings" and last["enabled"] is True
    assert last["actionParameters"] == {"cache": False, "browserTtl": {"mode": "respect_origin"}}
    assert [r["ref"] for r in ruleset.inputs["rules"]].count(USER_COPIES_REF) == 1


def test_no_bypass_rule_without_user_copies(prod_without_copies: list[ResourceRecord]) -> None:
    (ruleset,) = of_type(prod_without_copies, "cloudflare:index/ruleset:Ruleset")
    refs = [r["ref"] for r in ruleset.inputs["rules"]]
    assert USER_COPIES_REF not in refs and all(ref.startswith("cache-") for ref in refs)
