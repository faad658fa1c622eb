"""The audit report: who accessed what, deletes, policy changes, anomalies, parse problems."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from analytics.access_log import ACCESS_LOG, ParseResult
from analytics.cloudtrail import CLOUDTRAIL, NO_BUCKET
from analytics.detectors import Anomaly, AuditThresholds, detect_all
from analytics.log_store import (
    DELETE_OPERATIONS,
    POLICY_OPERATION_PREFIXES,
    POLICY_OPERATION_SUFFIXES,
    AccessLogStore,
)

LISTED = 20
"""Rows listed per section (the totals cover everything)."""


@dataclass(frozen=True)
class AuditReport:
    """Everything `mediainfra audit report` prints."""

    records: int
    malformed: list[tuple[str, str]]
    dialects: dict[str, int]
    first: str | None
    last: str | None
    access: list[tuple[Any, ...]]
    """(principal, bucket, reads, writes, deletes, bytes read) by requests."""
    deletes_total: int
    deletes: list[tuple[Any, ...]]
    """(time, principal, bucket, key) of the latest deletes."""
    policy_changes: list[tuple[Any, ...]]
    """(time, principal, bucket, operation, status, target) of every change, oldest first;
    `target` is the IAM/KMS entity of a CloudTrail IAM/KMS change (bucket `-`)."""
    anomalies: list[Anomaly]
    sources: dict[str, dict[str, int]]
    """Per log format (`access-log`, `cloudtrail`): records kept, malformed, skipped and
    duplicate (CloudTrail records of requests the access log has)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["anomalies"] = [
            {**asdict(a), "window_start": a.window_start.isoformat() if a.window_start else None}
            for a in self.anomalies
        ]
        for name in ("deletes", "policy_changes"):
            data[name] = [[str(v) for v in row] for row in data[name]]
        return data


def build_report(
    store: AccessLogStore,
    parsed: ParseResult,
    thresholds: AuditThresholds | None = None,
    known: Collection[str] = (),
) -> AuditReport:
    """Query the store and run the detectors."""
    deletes = ", ".join(f"'{op}'" for op in DELETE_OPERATIONS)
    policy = " OR ".join(
        [f"operation LIKE 'REST.%.{suffix}'" for suffix in POLICY_OPERATION_SUFFIXES]
        + [f"operation LIKE '{prefix}%'" for prefix in POLICY_OPERATION_PREFIXES]
    )
    first, last = store.rows("SELECT min(time), max(time) FROM access")[0]
    access = store.rows(
        f"""WITH o AS (SELECT bucket, key, max(size) AS size FROM objects GROUP BY 1, 2)
            SELECT a.principal, a.bucket,
                   count(*) FILTER (WHERE a.operation LIKE 'REST.GET.%'
                                    OR a.operation LIKE 'REST.HEAD.%'),
                   count(*) FILTER (WHERE a.operation IN ('REST.PUT.OBJECT', 'REST.POST.UPLOAD',
                                                          'REST.COPY.OBJECT')),
                   count(*) FILTER (WHERE a.operation IN ({deletes})),
                   CAST(coalesce(sum(coalesce(a.bytes_sent, a.object_size, o.size))
                                 FILTER (WHERE a.operation = 'REST.GET.OBJECT'), 0) AS BIGINT)
            FROM access a LEFT JOIN o ON a.bucket = o.bucket AND a.key = o.key
            WHERE a.bucket <> '{NO_BUCKET}'
            GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT {LISTED}"""
    )
    deletes_total = store.rows(f"SELECT count(*) FROM access WHERE operation IN ({deletes})")[0][0]
    delete_rows = store.rows(
        f"""SELECT time, principal, bucket, key FROM access WHERE operation IN ({deletes})
            ORDER BY time DESC, key LIMIT {LISTED}"""
    )
    policy_rows = store.rows(
        f"""SELECT time, principal, bucket, operation, http_status, key FROM access
            WHERE ({policy}) AND operation NOT LIKE 'REST.GET.%' ORDER BY time"""
    )
    return AuditReport(
        records=store.count(),
        malformed=parsed.malformed,
        dialects=dict(parsed.dialects),
        first=str(first) if first else None,
        last=str(last) if last else None,
        access=access,
        deletes_total=int(deletes_total),
        deletes=delete_rows,
        policy_changes=policy_rows,
        anomalies=detect_all(store, thresholds or AuditThresholds(), known),
        sources=source_counts(parsed),
    )


def source_counts(parsed: ParseResult) -> dict[str, dict[str, int]]:
    """Records kept, malformed and skipped per log format (see `AuditReport.sources`)."""
    trail = parsed.dialects.get(CLOUDTRAIL, 0)
    return {
        ACCESS_LOG: {
            "records": sum(parsed.dialects.values()) - trail,
            "malformed": parsed.malformed_by_format.get(ACCESS_LOG, 0),
        },
        CLOUDTRAIL: {
            "records": trail - parsed.duplicates,
            "malformed": parsed.malformed_by_format.get(CLOUDTRAIL, 0),
            "skipped": sum(parsed.skipped.values()),
            "duplicates": parsed.duplicates,
        },
    }


def render_text(report: AuditReport) -> str:
    """The report as plain text."""
    dialects = ", ".join(f"{n} {c}" for n, c in sorted(report.dialects.items())) or "none"
    logs, trail = report.sources[ACCESS_LOG], report.sources[CLOUDTRAIL]
    out = [
        f"audit: {report.records} records ({dialects}), "
        f"{len(report.malformed)} malformed, {report.first} .. {report.last}",
        f"  access logs: {logs['records']} records, {logs['malformed']} malformed lines",
        f"  cloudtrail:  {trail['records']} events, {trail['malformed']} malformed files/records, "
        f"{trail['skipped']} outside the audit, {trail['duplicates']} also in the access logs",
    ]
    for where, why in report.malformed[:LISTED]:
        out.append(f"  malformed {where}: {why}")
    out.append("who accessed what (principal, bucket: reads / writes / deletes / bytes read):")
    for principal, bucket, reads, writes, deletes, size in report.access:
        out.append(f"  {principal:<40} {bucket:<28} {reads:>7} {writes:>7} {deletes:>7} {size:>14}")
    out.append(f"deletes: {report.deletes_total} (latest {len(report.deletes)})")
    for when, principal, bucket, key in report.deletes:
        out.append(f"  {when} {principal} s3://{bucket}/{key or '*'}")
    out.append(f"policy changes: {len(report.policy_changes)}")
    for when, principal, bucket, operation, status, target in report.policy_changes:
        on = target if bucket == NO_BUCKET and target else bucket
        out.append(f"  {when} {principal} {on} {operation} -> {status}")
    out.append(f"anomalies: {len(report.anomalies)}")
    for anomaly in report.anomalies:
        when = anomaly.window_start.isoformat() if anomaly.window_start else "-"
        out.append(
            f"  {anomaly.kind:<18} {anomaly.subject:<40} {when} "
            f"score {anomaly.score:.1f}: {anomaly.detail}"
        )
    return "\n".join(out)


def audit(
    parsed: ParseResult,
    thresholds: AuditThresholds | None = None,
    known: Collection[str] = (),
    sizes: dict[tuple[str, str], int] | None = None,
    parquet: str | None = None,
) -> AuditReport:
    """Load parsed records (and an optional object inventory) into DuckDB and report."""
    store = AccessLogStore()
    try:
        store.add(parsed.records)
        if sizes:
            store.add_inventory(sizes)
        if parquet:
            store.export_parquet(parquet)
        return build_report(store, parsed, thresholds, known)
    finally:
        store.close()
