"""Quota notifications on the warning alerts topic (SNS)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:
    from workers.uploads.quotas import QuotaUsage

log = logging.getLogger(__name__)


class TopicNotFoundError(LookupError):
    """The alerts topic does not exist in this account and region."""


def find_topic_arn(sns: Any, name: str) -> str:
    """ARN of the SNS topic called `name` (searched with ListTopics)."""
    for page in sns.get_paginator("list_topics").paginate():
        for topic in page.get("Topics", []):
            if topic["TopicArn"].rsplit(":", 1)[-1] == name:
                return str(topic["TopicArn"])
    raise TopicNotFoundError(f"SNS topic {name!r} not found")


class QuotaNotifier:
    """Publishes quota events; each method returns False when the message could not be sent."""

    def __init__(self, sns: Any, topic_arn: str) -> None:
        self._sns = sns
        self._topic_arn = topic_arn

    def _publish(self, event: str, subject: str, body: dict[str, Any]) -> bool:
        try:
            self._sns.publish(
                TopicArn=self._topic_arn,
                Subject=subject[:100],
                Message=json.dumps({"event": event, **body}, sort_keys=True),
                MessageAttributes={
                    "event": {"DataType": "String", "StringValue": event},
                    "severity": {"DataType": "String", "StringValue": "warning"},
                    "user_id": {"DataType": "String", "StringValue": body["user_id"]},
                },
            )
        except (BotoCoreError, ClientError):
            log.exception("could not publish %s for user %s", event, body["user_id"])
            return False
        return True

    def threshold(self, user_id: str, percent: float, usage: QuotaUsage) -> bool:
        """Usage of `user_id` has reached `percent` % of the quota."""
        return self._publish(
            "quota.threshold",
            f"Storage quota {percent:g}% reached by {user_id}",
            {
                "user_id": user_id,
                "threshold_percent": percent,
                "usage_percent": round(usage.percent, 2),
                "used_bytes": usage.used_bytes,
                "reserved_bytes": usage.reserved_bytes,
                "limit_bytes": usage.limit_bytes,
            },
        )

    def exceeded(self, user_id: str, requested: int, usage: QuotaUsage) -> bool:
        """An upload of `requested` bytes by `user_id` was refused: it would exceed the quota."""
        return self._publish(
            "quota.exceeded",
            f"Storage quota exceeded by {user_id}",
            {
                "user_id": user_id,
                "requested_bytes": requested,
                "usage_percent": round(usage.percent, 2),
                "used_bytes": usage.used_bytes,
                "reserved_bytes": usage.reserved_bytes,
                "limit_bytes": usage.limit_bytes,
            },
        )
