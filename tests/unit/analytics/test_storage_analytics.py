"""Storage analytics: usage, list-price cost, forecast interval, HTML plots, Grafana JSON."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from analytics.cli import analytics_app
from analytics.corpus import Corpus
from analytics.dashboard import charts, grafana_dashboard, render_html, summarise
from analytics.inventory import StoredObject, class_at_age, from_corpus
from analytics.usage import GIB, cost_breakdown, daily_totals, forecast, usage_by
from stacks.settings import BucketRole, PriceTable, Settings

D0 = date(2026, 1, 1)
OBJECTS = [
    StoredObject("masters", "u1/a/master.wav", 3 * GIB, "STANDARD", D0),
    StoredObject("masters", "u2/b/master.wav", GIB, "GLACIER", D0 + timedelta(days=2)),
    StoredObject("stems", "u1/a/stems/bass.flac", 2 * GIB, "STANDARD", D0 + timedelta(days=2)),
    StoredObject("derivatives", "sha256/ab/abcd", GIB, "STANDARD", D0 + timedelta(days=3)),
]


def test_usage_by_bucket_prefix_and_user() -> None:
    assert [(u.name, u.bytes, u.objects) for u in usage_by(OBJECTS, lambda o: o.bucket)] == [
        ("masters", 4 * GIB, 2), ("stems", 2 * GIB, 1), ("derivatives", GIB, 1),
    ]  # fmt: skip
    users = usage_by(OBJECTS, lambda o: o.user)
    assert [(u.name, u.bytes) for u in users] == [("u1", 5 * GIB), ("-", GIB), ("u2", GIB)]
    assert OBJECTS[0].prefix == "u1/a/"


def test_cost_breakdown_at_list_prices() -> None:
    prices = PriceTable()
    cells = {(c.bucket, c.storage_class): c.usd_month for c in cost_breakdown(OBJECTS, prices)}
    assert cells[("masters", "STANDARD")] == pytest.approx(3 * 0.023)
    assert cells[("masters", "GLACIER")] == pytest.approx(0.0036)
    assert sum(cells.values()) == pytest.approx(6 * 0.023 + 0.0036)


def test_daily_totals_are_cumulative_and_fill_gaps() -> None:
    days, totals = daily_totals(OBJECTS)
    assert days == [D0 + timedelta(days=i) for i in range(4)]
    assert totals == [3 * GIB, 3 * GIB, 6 * GIB, 7 * GIB]


def test_forecast_of_a_straight_line_is_exact() -> None:
    result = forecast([10.0 + 5 * i for i in range(10)], horizon_days=3)
    assert result.slope_per_day == pytest.approx(5.0)
    assert result.predicted == pytest.approx([60.0, 65.0, 70.0])
    assert result.lower == pytest.approx(result.upper)


def test_forecast_interval_covers_the_future_at_its_confidence() -> None:
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(400):
        series = 100 + 3 * np.arange(41) + rng.normal(0, 10, 41)
        result = forecast(series[:40], horizon_days=1, confidence=0.9)
        hits += result.lower[0] <= series[40] <= result.upper[0]
    assert 0.85 <= hits / 400 <= 0.95
    widths = forecast(series[:40], 20)
    assert widths.upper[-1] - widths.lower[-1] > widths.upper[0] - widths.lower[0]


def test_forecast_needs_three_days() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        forecast([1.0, 2.0], 5)


def test_corpus_inventory_follows_the_lifecycle(
    tiny_corpus: Corpus, local_settings: Settings
) -> None:
    objects = from_corpus(tiny_corpus, local_settings)
    assert len(objects) == len(tiny_corpus.files)
    assert {o.bucket for o in objects} <= {
        local_settings.bucket_name(r) for r in (BucketRole.MASTERS, BucketRole.STEMS)
    }
    assert class_at_age(local_settings, BucketRole.DERIVATIVES, 10) == "STANDARD"
    assert class_at_age(local_settings, BucketRole.DERIVATIVES, 45) == "STANDARD_IA"
    assert class_at_age(local_settings, BucketRole.MASTERS, 0) == "INTELLIGENT_TIERING"


def test_html_report_has_its_plots(tiny_corpus: Corpus, local_settings: Settings) -> None:
    summary = summarise(from_corpus(tiny_corpus, local_settings), local_settings, "tiny")
    for name, text in charts(summary).items():
        root = ET.fromstring(text)  # well-formed SVG
        assert root.tag.endswith("svg"), name
    growth = ET.fromstring(charts(summary)["growth"])
    classes = {el.get("class") for el in growth.iter()}
    assert {"series", "forecast", "band"} <= classes
    html = render_html(summary)
    assert html.count("<svg") == 4
    assert "user-0" in html


def test_grafana_dashboard_covers_every_bucket(local_settings: Settings) -> None:
    board = grafana_dashboard(local_settings)
    json.dumps(board)
    dims = [t.get("dimensions", {}) for p in board["panels"] for t in p["targets"]]
    names = {d.get("BucketName") for d in dims}
    assert names >= {local_settings.bucket_name(r) for r in BucketRole}
    assert {p["title"] for p in board["panels"]} >= {"Objects per bucket"}


def test_analytics_report_cli_writes_three_files(tiny_corpus: Corpus, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        analytics_app, ["report", "--corpus", str(tiny_corpus.root), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in tmp_path.iterdir()} == {
        "index.html", "summary.json", "grafana-dashboard.json"
    }  # fmt: skip
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["objects"] == len(tiny_corpus.files)
    missing = CliRunner().invoke(
        analytics_app, ["report", "--corpus", str(tmp_path / "nope"), "--out", str(tmp_path)]
    )
    assert missing.exit_code == 1 and "corpus generate" in missing.output


def test_one_day_of_history_reports_without_a_forecast(local_settings: Settings) -> None:
    objects = [StoredObject("masters", f"u/{i}", 100, "STANDARD", D0) for i in range(3)]
    summary = summarise(objects, local_settings, "one day")
    assert summary.forecast is None
    assert "fewer than 3 days" in render_html(summary)
