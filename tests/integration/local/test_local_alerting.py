"""Alerts reach the local receiver: Prometheus rule -> Alertmanager, and SNS topics."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.alert_receiver import read_alerts
from local.layout import LocalPorts, StackState
from local.stack import LocalStack
from stacks.settings import Settings

pytestmark = pytest.mark.integration

SERVICES = ("moto", "alerts", "exporter", "alertmanager", "prometheus")


@pytest.fixture(scope="module")
def alerting(
    local_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalStack, StackState]]:
    stack = LocalStack(
        local_settings, root=tmp_path_factory.mktemp("alerting"), ports=LocalPorts.free()
    )
    try:
        yield stack, stack.up(services=SERVICES)
    finally:
        stack.down()


def _wait_for(path: Path, predicate, timeout: float = 90.0) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [alert for alert in read_alerts(path) if predicate(alert)]
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no matching alert in {read_alerts(path)}")


def _client(service: str, state: StackState, settings: Settings):  # type: ignore[no-untyped-def]
    return boto3.client(
        service,
        endpoint_url=state.endpoint,
        region_name=settings.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_a_dead_letter_fires_the_dlq_rule_through_alertmanager(
    alerting, local_settings: Settings
) -> None:
    stack, state = alerting
    sqs = _client("sqs", state, local_settings)
    dlq = sqs.get_queue_url(QueueName=local_settings.resource_name("image-dlq"))["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"job_id": "poisoned"}))
    alerts = _wait_for(
        stack.layout.alerts_file,
        lambda a: a["source"] == "alertmanager" and a["name"] == "dlq-depth-image",
    )
    assert alerts[0]["status"] == "firing"
    assert alerts[0]["severity"] == "warning"
    assert alerts[0]["labels"]["stack"] == "local"  # type: ignore[index]


def test_an_sns_alert_is_recorded(alerting, local_settings: Settings) -> None:
    stack, state = alerting
    sns = _client("sns", state, local_settings)
    topic = sns.create_topic(Name=local_settings.resource_name("alerts-critical"))["TopicArn"]
    sns.publish(
        TopicArn=topic,
        Subject="test",
        Message=json.dumps({"event": "malware-detected", "key": "k1"}),
    )
    alerts = _wait_for(stack.layout.alerts_file, lambda a: a["source"] == "sns", timeout=30)
    assert alerts[0]["name"] == "malware-detected"
    assert alerts[0]["detail"] == {"event": "malware-detected", "key": "k1"}
    assert alerts[0]["severity"] == local_settings.resource_name("alerts-critical")
