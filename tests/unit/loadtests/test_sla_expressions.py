"""SLA expressions: parsing, normalised units, evaluation, defaults from the settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.sla import (
    ThresholdSyntaxError,
    Verdict,
    default_thresholds,
    evaluate,
    merge_thresholds,
    parse_threshold,
    parse_thresholds,
    render_table,
)
from stacks.settings import SlaSettings

METRICS = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)
AGGREGATES = st.sampled_from(["p50", "p90", "p95", "p99", "avg", "min", "max", "rate", "value"])
OPS = st.sampled_from(["<", "<=", ">", ">="])
NUMBERS = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False)


@pytest.mark.parametrize(
    ("text", "key", "op", "value", "unit"),
    [
        ("p95 first_byte < 200ms", "p95 first_byte", "<", 200.0, "ms"),
        ("p99 queue_wait <= 1.5s", "p99 queue_wait", "<=", 1500.0, "ms"),
        ("rate failures < 1%", "rate failures", "<", 1.0, "%"),
        ("avg download > 10MB/s", "avg download", ">", 10.0, "MB/s"),
        ("avg upload >= 512KB/s", "avg upload", ">=", 0.5, "MB/s"),
        ("hit_ratio >= 90%", "value hit_ratio", ">=", 90.0, "%"),
        ("  P95   First_Byte<200MS ", "p95 first_byte", "<", 200.0, "ms"),
    ],
)
def test_parses_k6_style_expressions(text: str, key: str, op: str, value: float, unit: str):
    threshold = parse_threshold(text)
    assert (threshold.key, threshold.op, threshold.value, threshold.unit) == (key, op, value, unit)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "p95 first_byte",
        "p95 first_byte = 200ms",
        "p96x first_byte < 1",
        "p95 first_byte < 200 parsecs",
        "p95 first_byte < -1ms",
    ],
)
def test_bad_expressions_are_typed_errors_naming_the_text(text: str):
    with pytest.raises(ThresholdSyntaxError) as error:
        parse_threshold(text)
    assert repr(text) in str(error.value) and "expected" in str(error.value)


@given(AGGREGATES, METRICS, OPS, NUMBERS, st.sampled_from(["ms", "s", "%", "MB/s", ""]))
def test_any_well_formed_expression_round_trips(agg, metric, op, number, unit):  # type: ignore[no-untyped-def]
    threshold = parse_threshold(f"{agg} {metric} {op} {number}{unit}")
    assert (threshold.aggregate, threshold.metric, threshold.op) == (agg, metric, op)
    scale = 1000.0 if unit == "s" else 1.0
    assert threshold.value == pytest.approx(float(number) * scale)


@given(OPS, st.floats(0, 1e6), st.floats(0, 1e6))
def test_evaluation_agrees_with_the_operator(op, limit, measured):  # type: ignore[no-untyped-def]
    threshold = parse_threshold(f"p95 x {op} {limit:.3f}")
    (verdict,) = evaluate([threshold], {"p95 x": measured})
    expected = {
        "<": measured < threshold.value,
        "<=": measured <= threshold.value,
        ">": measured > threshold.value,
        ">=": measured >= threshold.value,
    }[op]
    assert verdict.status == ("pass" if expected else "FAIL")
    assert verdict.failed is (not expected)


def test_tightening_past_the_measured_value_fails():
    threshold = parse_threshold("p95 first_byte < 200ms")
    assert Verdict(threshold, 150.0).status == "pass"
    assert Verdict(threshold.tightened(2.0), 150.0).status == "FAIL"
    upper = parse_threshold("avg download > 10MB/s")
    assert Verdict(upper.tightened(2.0), 15.0).status == "FAIL"


def test_missing_measurement_is_no_data_not_a_failure():
    (verdict,) = evaluate(parse_thresholds("p95 queue_wait < 30s"), {})
    assert verdict.status == "no data" and not verdict.failed


def test_defaults_come_from_the_stack_settings():
    slas = SlaSettings(first_byte_p95_ms=123, cache_hit_percent=77)
    by_key = {t.key: t for t in default_thresholds(slas)}
    assert by_key["p95 first_byte"].value == 123.0
    assert by_key["value hit_ratio"].value == 77.0
    assert by_key["p95 queue_wait"].value == slas.queue_wait_p95_seconds * 1000
    assert set(by_key) >= {"rate failures", "avg download", "avg upload"}


def test_overrides_replace_the_same_measurement_only():
    base = default_thresholds(SlaSettings())
    merged = merge_thresholds(base, parse_thresholds("p95 first_byte < 1ms; p99 range < 5ms"))
    keys = [t.key for t in merged]
    assert keys.count("p95 first_byte") == 1 and "p99 range" in keys
    assert next(t for t in merged if t.key == "p95 first_byte").value == 1.0
    twice = merge_thresholds([], parse_thresholds("p95 a < 5s; p95 a < 2ms"))
    assert [(t.key, t.value) for t in twice] == [("p95 a", 2.0)]


def test_table_lists_threshold_measured_and_result():
    verdicts = evaluate(parse_thresholds("p95 a < 10ms; rate failures < 1%"), {"p95 a": 12.0})
    table = render_table(verdicts)
    assert "threshold" in table and "12.00ms" in table and "FAIL" in table and "no data" in table
