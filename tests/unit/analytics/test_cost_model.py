"""Cost model: exact arithmetic on small inputs with round prices."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.cli import cost
from analytics.cost_model import (
    ALL,
    NONE,
    Optimisation,
    drivers,
    estimate,
    savings,
    served_gb,
    stored_gb,
)
from analytics.storage_classes import (
    UnpricedStorageClassError,
    age_shares,
    class_mix,
    cold_intervals,
    lifecycle_intervals,
    price_per_gb_month,
)
from analytics.workload import Workload, WorkloadError, load_workload
from stacks.settings import BucketRole, BucketSettings, PriceTable, Settings

ROUND_PRICES = PriceTable(
    storage_gb_month={
        "STANDARD": 1.0, "INTELLIGENT_TIERING": 1.0, "STANDARD_IA": 0.5,
        "GLACIER_IR": 0.25, "GLACIER": 0.125, "DEEP_ARCHIVE": 0.0625,
    },
    egress_gb=2.0, cdn_egress_gb=0.0, put_per_1000=1.0, get_per_1000=0.5,
)  # fmt: skip
SMALL = Workload(
    catalogue_tracks=1024, uploads_per_day=0, plays_per_day=1024, cover_views_per_play=1,
    hit_ratio=0.75, master_mb=2, cover_mb=1, stem_track_share=0.5, stems_per_track=2,
    stem_mb=4, duplicate_share=0.25, flac_ratio=0.5, derivatives_mb_per_track=1,
    cover_variants_mb=0.5, cover_view_webp_mb=0.25, play_mb=1, days_per_month=1,
    catalogue_age_days=360, cold_share=0.5,
)  # fmt: skip


@pytest.fixture
def settings(local_settings: Settings) -> Settings:
    return local_settings.model_copy(update={"prices": ROUND_PRICES})


def test_lifecycle_tiers_split_bytes_by_age() -> None:
    bucket = BucketSettings.model_validate(
        {"transitions": [{"days": 30, "storage_class": "STANDARD_IA"},
                         {"days": 90, "storage_class": "GLACIER_IR"}]}
    )  # fmt: skip
    shares = age_shares(lifecycle_intervals(bucket), 180)
    assert shares == {"STANDARD": 30 / 180, "STANDARD_IA": 60 / 180, "GLACIER_IR": 90 / 180}
    assert price_per_gb_month(shares, ROUND_PRICES) == pytest.approx(
        (30 * 1.0 + 60 * 0.5 + 90 * 0.25) / 180, rel=1e-15
    )


def test_intelligent_tiering_moves_only_the_cold_share() -> None:
    bucket = BucketSettings.model_validate(
        {"transitions": [{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
         "intelligent_tiering": {"archive_access_days": 90, "deep_archive_access_days": 180}}
    )  # fmt: skip
    assert age_shares(cold_intervals(bucket), 360) == {
        "INTELLIGENT_TIERING": 30 / 360, "STANDARD_IA": 60 / 360,
        "GLACIER": 90 / 360, "DEEP_ARCHIVE": 180 / 360,
    }  # fmt: skip
    mix = class_mix(bucket, 360, cold_share=0.5)
    assert mix["INTELLIGENT_TIERING"] == pytest.approx(0.5 + 0.5 * 30 / 360)
    assert sum(mix.values()) == pytest.approx(1.0)


def test_a_class_without_a_price_is_a_typed_error() -> None:
    with pytest.raises(UnpricedStorageClassError, match="ONEZONE_IA"):
        price_per_gb_month({"ONEZONE_IA": 1.0}, ROUND_PRICES)


def test_stored_bytes_with_and_without_dedup_and_flac() -> None:
    assert stored_gb(SMALL, NONE) == {
        BucketRole.MASTERS: 3.0,
        BucketRole.STEMS: 4.0,
        BucketRole.DERIVATIVES: 1.0,
    }
    assert stored_gb(SMALL, ALL) == {
        BucketRole.MASTERS: 2.25,
        BucketRole.STEMS: 2.0,
        BucketRole.DERIVATIVES: 1.5,
    }


def test_served_bytes_with_and_without_webp() -> None:
    assert served_gb(SMALL, NONE) == 2.0
    assert served_gb(SMALL, {Optimisation.WEBP}) == 1.25


def test_baseline_bill_is_exact(settings: Settings) -> None:
    bill = estimate(SMALL, settings, NONE)
    # storage 8 GB x $1, egress 2 GB x $2, 2048 GETs x $0.5/1000, no uploads
    assert bill.total == 8.0 + 4.0 + 1.024
    assert bill.line("origin egress").usd == 4.0


def test_cdn_serves_hits_and_sends_misses_to_the_origin(settings: Settings) -> None:
    bill = estimate(SMALL, settings, {Optimisation.CDN})
    assert bill.line("origin egress").quantity == 0.5
    assert bill.line("edge egress").quantity == 2.0
    assert bill.line("GET requests").quantity == 0.512
    assert bill.total == 8.0 + 1.0 + 0.256


def test_savings_alone_and_last_add_up(settings: Settings) -> None:
    result = {s.optimisation: s for s in savings(SMALL, settings)}
    assert result[Optimisation.DEDUP].alone_usd == 0.75  # 0.25 of 3 GB at $1
    assert result[Optimisation.FLAC].alone_usd == 2.0  # half of 4 GB at $1
    assert result[Optimisation.CDN].alone_usd == pytest.approx(3.0 + 0.768)
    baseline = estimate(SMALL, settings, NONE).total
    optimised = estimate(SMALL, settings, ALL).total
    assert baseline > optimised
    assert result[Optimisation.DEDUP].drivers[0][0] in {"duplicate_share", "catalogue_tracks"}
    flac = dict(drivers(SMALL, settings, Optimisation.FLAC, top=10))
    assert flac["flac_ratio"] == pytest.approx(-0.2)  # 4 GB x (0.55 - 0.5) less saved


def test_drivers_name_the_assumption_behind_the_cdn_saving(settings: Settings) -> None:
    cdn = next(s for s in savings(SMALL, settings) if s.optimisation is Optimisation.CDN)
    names = [name for name, _ in cdn.drivers]
    assert "hit_ratio" in names and "days_per_month" not in names


def test_bad_workload_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("catalogue_tracks: 10\nuploads_per_day: 1\nplays_per_day: 5\nhit_ratio: 2\n")
    with pytest.raises(WorkloadError, match="hit_ratio"):
        load_workload(path)
    path.write_text("catalogue_tracks: 10\nuploads_per_day: 1\nplays_per_day: 5\ncolour: red\n")
    with pytest.raises(WorkloadError, match="colour: unknown key"):
        load_workload(path)


def test_example_workloads_load() -> None:
    for path in Path("workloads").glob("*.yaml"):
        assert load_workload(path).catalogue_tracks > 0


def test_cost_cli_prints_totals_and_each_saving() -> None:
    import typer

    app = typer.Typer()
    app.command()(cost)
    result = CliRunner().invoke(app, ["--stack", "prod", "--workload", "workloads/prod.yaml"])
    assert result.exit_code == 0, result.output
    assert "without optimisations" in result.output
    for name in ("tiers", "dedup", "flac", "webp", "cdn"):
        assert f"  {name} " in result.output
    bad = CliRunner().invoke(app, ["--stack", "nope", "--workload", "workloads/prod.yaml"])
    assert bad.exit_code == 1 and "error:" in bad.output
