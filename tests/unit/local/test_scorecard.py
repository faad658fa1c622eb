"""The demo's SLA scorecard: load JSON + drill report + EICAR outcome -> one row per SLA."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console

from local.scorecard import (
    SCORECARD_FILE,
    Scorecard,
    SourceError,
    build_scorecard,
    render,
    write_scorecard,
)
from stacks.settings import Settings, SlaSettings

LOAD_KEYS = {
    "avg upload": (">", 5.0, "MB/s"),
    "avg download": (">", 10.0, "MB/s"),
    "p95 first_byte": ("<", 200.0, "ms"),
    "value hit_ratio": (">=", 90.0, "%"),
    "p95 queue_wait": ("<", 30000.0, "ms"),
    "rate failures": ("<", 1.0, "%"),
}


def load_json(values: dict[str, float | None], failed: set[str] = frozenset()) -> dict[str, Any]:
    """A `loadtest.json` as the harness writes it (only the fields the scorecard reads)."""
    rows = []
    for key, (op, target, unit) in LOAD_KEYS.items():
        value = values.get(key)
        result = "no data" if value is None else ("FAIL" if key in failed else "pass")
        rows.append(
            {
                "threshold": f"{key} {op} {target}{unit}",
                "measurement": key,
                "target": target,
                "op": op,
                "unit": unit,
                "measured": "-" if value is None else f"{value:.2f}{unit}",
                "value": value,
                "result": result,
            }
        )
    return {"scorecard": rows, "measurements": {}}


GOOD_LOAD = {
    "avg upload": 21.1,
    "avg download": 43.0,
    "p95 first_byte": 14.0,
    "value hit_ratio": 99.9,
    "p95 queue_wait": 12000.0,
    "rate failures": 0.0,
}


def drill_json(rto: float | None = 4.5, rpo: float | None = 1.0, missing: int = 0) -> dict:
    return {
        "rto_seconds": rto,
        "rpo_seconds": rpo,
        "rto_target_seconds": 900.0,
        "rpo_target_seconds": 300.0,
        "missing": [f"drill/drill-seed/{i:05d}.bin" for i in range(missing)],
        "different": [],
        "error": None,
    }


def by_setting(card: Scorecard) -> dict[str, Any]:
    return {row.setting: row for row in card.rows}


def text_of(card: Scorecard) -> str:
    console = Console(record=True, width=200)
    console.print(render(card))
    return console.export_text()


def test_every_sla_setting_has_exactly_one_row(local_settings: Settings) -> None:
    card = build_scorecard("local", local_settings.slas, None, None, None)
    assert [row.setting for row in card.rows] == list(SlaSettings.model_fields)
    assert {row.result for row in card.rows} == {"no data"}


def test_all_sources_good_passes_with_targets_and_measured_values(
    local_settings: Settings,
) -> None:
    card = build_scorecard("local", local_settings.slas, load_json(GOOD_LOAD), drill_json(), (1, 1))
    rows = by_setting(card)
    assert card.passed and card.failed == []
    assert all(row.result == "pass" for row in card.rows)
    assert rows["upload_mb_per_s"].target == "> 5 MB/s"
    assert rows["upload_mb_per_s"].measured == "21.10 MB/s"
    queue = rows["queue_wait_p95_seconds"]
    assert (queue.target, queue.measured, queue.measured_value) == ("< 30 s", "12.00 s", 12.0)
    assert rows["rto_minutes"].target == "<= 15 min"
    assert rows["rto_minutes"].measured == "4.50 s"
    assert rows["malicious_blocked_percent"].measured == "100 % (1/1)"
    text = text_of(card)
    assert "every SLA holds" in text
    for label in ("upload throughput", "first byte p95", "RTO (PITR drill)", "malicious uploads"):
        assert label in text


def test_a_failed_load_sla_fails_the_scorecard_and_is_named(local_settings: Settings) -> None:
    slow = {**GOOD_LOAD, "avg upload": 2.5}
    card = build_scorecard(
        "local", local_settings.slas, load_json(slow, {"avg upload"}), drill_json(), (1, 1)
    )
    assert not card.passed
    assert [row.setting for row in card.failed] == ["upload_mb_per_s"]
    assert by_setting(card)["upload_mb_per_s"].measured == "2.50 MB/s"
    text = text_of(card)
    assert "1 SLA(s) FAILED" in text and "FAIL" in text


def test_drill_over_target_or_not_verified_fails(local_settings: Settings) -> None:
    slow = build_scorecard("local", local_settings.slas, None, drill_json(rto=901.0), None)
    assert by_setting(slow)["rto_minutes"].result == "FAIL"
    assert by_setting(slow)["rpo_minutes"].result == "pass"
    broken = build_scorecard("local", local_settings.slas, None, drill_json(missing=2), None)
    rto = by_setting(broken)["rto_minutes"]
    assert rto.result == "FAIL" and "restore not verified: 2 missing" in rto.measured


def test_an_eicar_that_got_through_fails(local_settings: Settings) -> None:
    card = build_scorecard("local", local_settings.slas, None, None, (1, 2))
    row = by_setting(card)["malicious_blocked_percent"]
    assert (row.result, row.measured) == ("FAIL", "50 % (1/2)")


def test_a_source_that_could_not_run_is_an_error_on_each_of_its_rows(
    local_settings: Settings,
) -> None:
    failure = SourceError("`mediainfra load` exited 2: the local stack is not running")
    card = build_scorecard("local", local_settings.slas, failure, drill_json(), (1, 1))
    load_rows = [row for row in card.rows if row.source == "load"]
    assert len(load_rows) == 6
    assert all(row.result == "error" and "exited 2" in row.measured for row in load_rows)
    assert not card.passed


def test_no_data_from_the_harness_does_not_fail(local_settings: Settings) -> None:
    values = {**GOOD_LOAD, "p95 queue_wait": None}
    card = build_scorecard("local", local_settings.slas, load_json(values), drill_json(), (1, 1))
    assert by_setting(card)["queue_wait_p95_seconds"].result == "no data"
    assert card.passed


def test_written_json_round_trips_every_row(local_settings: Settings, tmp_path: Path) -> None:
    card = build_scorecard(
        "local", local_settings.slas, load_json(GOOD_LOAD, {"avg upload"}), drill_json(), (1, 1)
    )
    path = write_scorecard(card, tmp_path / "reports")
    assert path == tmp_path / "reports" / SCORECARD_FILE
    data = json.loads(path.read_text())
    assert data["passed"] is False
    assert [row["setting"] for row in data["rows"]] == list(SlaSettings.model_fields)
    assert {row["setting"]: row["result"] for row in data["rows"]}["upload_mb_per_s"] == "FAIL"
