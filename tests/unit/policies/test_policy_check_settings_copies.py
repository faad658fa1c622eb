"""Issue 2's "Done means" as a pull request meets it: a copy of the prod stack file with one
change, checked by the real `mediainfra policy check --settings <copy>`, exits 1 naming the
policy and the resource; the unmodified prod settings exit 0."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from mediainfra.cli import build_app
from stacks.settings import stack_file

Edit = Callable[[dict[str, Any]], None]
"""Changes the `config:` block of the stack file copy in place."""

runner = CliRunner()


def prod_copy(directory: Path, edit: Edit) -> Path:
    """`stacks/Pulumi.prod.yaml` copied into `directory` with `edit` applied."""
    document = yaml.safe_load(stack_file("prod").read_text())
    edit(document["config"])
    path = directory / "Pulumi.prod.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def mediainfra(*args: str) -> Result:
    """The `mediainfra` command line, as the console script builds it."""
    return runner.invoke(build_app(args), list(args), prog_name="mediainfra")


def check(settings: Path) -> Result:
    return mediainfra("policy", "check", "--stack", "prod", "--settings", str(settings))


def violation_rows(output: str) -> set[tuple[str, str, str]]:
    """(policy, level, resource) of every row of the violations table."""
    rows = re.findall(r"^│ (\S+)\s+│ (mandatory|advisory)\s+│ (\S+)\s+│", output, re.MULTILINE)
    return {(policy, level, resource) for policy, level, resource in rows}


def public_derivatives(config: dict[str, Any]) -> None:
    config["media-infra:storage"]["buckets"]["derivatives"]["public_read"] = True


def image_queue_without_dlq(config: dict[str, Any]) -> None:
    config["media-infra:processing"]["queues"]["image"]["dead_letter"] = False


def daily_retention_7_days(config: dict[str, Any]) -> None:
    config["media-infra:backup"]["daily_retention_days"] = 7


def test_unmodified_prod_settings_pass(tmp_path: Path) -> None:
    result = check(prod_copy(tmp_path, lambda config: None))
    assert result.exit_code == 0, result.output
    assert violation_rows(result.output) == set()
    checked = re.search(r"Checked (\d+) policies over (\d+) resources of stack prod", result.output)
    assert checked and int(checked[1]) >= 20, result.output
    assert "PASSED" in result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            public_derivatives,
            {
                ("s3-no-public-access", "mandatory", "storage-derivatives-public-access"),
                ("s3-no-public-access", "mandatory", "storage-derivatives-policy"),
                ("s3-public-access-block-on-every-bucket", "mandatory", "storage-derivatives"),
            },
            id="public-bucket",
        ),
        pytest.param(
            image_queue_without_dlq,
            {("sqs-queue-has-dlq", "mandatory", "processing-image-queue")},
            id="queue-without-dlq",
        ),
        pytest.param(
            daily_retention_7_days,
            {("backup-retention-minimum", "mandatory", "backup-plan")},
            id="daily-retention-7-days",
        ),
    ],
)
def test_one_change_fails_naming_policy_and_resource(
    tmp_path: Path, edit: Edit, expected: set[tuple[str, str, str]]
) -> None:
    result = check(prod_copy(tmp_path, edit))
    assert result.exit_code == 1, result.output
    assert violation_rows(result.output) == expected, result.output
    assert "FAILED" in result.output


def test_public_bucket_messages_say_what_is_public(tmp_path: Path) -> None:
    result = check(prod_copy(tmp_path, public_derivatives))
    assert "allows s3:GetObject to any principal" in result.output
    assert "(musicco-media-derivatives-prod)" in result.output


def test_queue_without_dlq_message_names_the_physical_queue(tmp_path: Path) -> None:
    result = check(prod_copy(tmp_path, image_queue_without_dlq))
    assert "(musicco-media-image-prod) has no dead-letter queue" in result.output
