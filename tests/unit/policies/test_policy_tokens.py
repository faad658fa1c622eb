"""A drifted type token must fail loudly: every token the policies read exists in the SDKs."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pulumi
import pytest

from policies import tokens
from policies.pack import DOMAINS

POLICIES_DIR = Path(tokens.__file__).parent


@pytest.mark.parametrize("token", tokens.ALL_TOKENS)
def test_token_names_an_installed_resource_class(token: str) -> None:
    cls = tokens.resource_class(token)
    assert issubclass(cls, pulumi.CustomResource)
    assert cls.__name__ == token.rsplit(":", 1)[-1]


@pytest.mark.parametrize(
    "token",
    [
        "aws:s3/bucketV3:BucketV3",
        "aws:s3/bucketVersioning:BucketVersion",
        "cloudflare:index/zoneSettingsOverride:ZoneSettingsOverride",
        "gcp:storage/bucket:Bucket",
        "not-a-token",
    ],
)
def test_drifted_token_raises(token: str) -> None:
    with pytest.raises(tokens.UnknownTypeToken):
        tokens.resource_class(token)


def test_accepts_tags_follows_the_sdk_signature() -> None:
    assert tokens.accepts_tags(tokens.S3_BUCKET)
    assert tokens.accepts_tags(tokens.SQS_QUEUE)
    assert not tokens.accepts_tags(tokens.S3_VERSIONING)
    assert not tokens.accepts_tags(tokens.BACKUP_SELECTION)


def _token_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.count(":") == 2
        and node.value.split(":", 1)[0] in ("aws", "cloudflare")
        and "/" in node.value
    ]


@pytest.mark.parametrize("domain", DOMAINS, ids=lambda m: m.__name__)
def test_domains_read_tokens_only_from_the_token_module(domain: object) -> None:
    assert _token_literals(Path(inspect.getfile(domain))) == []  # type: ignore[arg-type]


def test_token_module_declares_every_constant_in_all_tokens() -> None:
    assert set(_token_literals(POLICIES_DIR / "tokens.py")) == set(tokens.ALL_TOKENS)
