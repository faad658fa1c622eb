"""The off-peak gate of cache warming: the window in settings, the clock, the CLI flag."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from local.cache_cli import app as cache_app
from local.warm import OffPeakError, off_peak
from stacks.settings import ScheduleSettings
from stacks.settings.cloud_tasks import CacheWarmSettings

hours = st.integers(min_value=0, max_value=23)


@given(start=hours, end=hours, hour=hours)
def test_window_membership_matches_walking_the_clock(start: int, end: int, hour: int) -> None:
    if start == end:
        return
    walked, h = set(), start
    while h != end:
        walked.add(h)
        h = (h + 1) % 24
    warm = CacheWarmSettings(schedule=None, off_peak=(start, end))
    assert warm.in_off_peak(hour) == (hour in walked)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("cron(30 4 * * ? *)", {4}),
        ("cron(0 */6 * * ? *)", {0, 6, 12, 18}),
        ("cron(0 22-23,0-3/2 * * ? *)", {22, 23, 0, 2}),
        ("cron(15 5/8 ? * MON-FRI *)", {5, 13, 21}),
        ("rate(1 hour)", set()),
    ],
)
def test_cron_hours(schedule: str, expected: set[int]) -> None:
    assert CacheWarmSettings.cron_hours(schedule) == expected


def test_default_schedule_fires_inside_the_default_window() -> None:
    warm = CacheWarmSettings()
    assert warm.schedule == "cron(30 4 * * ? *)"
    assert all(warm.in_off_peak(h) for h in warm.cron_hours(warm.schedule))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"schedule": "cron(0 12 * * ? *)"}, r"hour\(s\) \[12\], outside off_peak \[2, 6\)"),
        ({"schedule": "cron(0 6 * * ? *)"}, "outside off_peak"),  # the end hour is excluded
        ({"schedule": "cron(0 21,23 * * ? *)", "off_peak": (22, 3)}, r"\[21\]"),
        ({"off_peak": (4, 4)}, "empty"),
        ({"off_peak": (4, 24)}, "less than or equal to 23"),
        ({"schedule": "cron(0 4-x * * ? *)"}, "cannot read the hour field"),
        ({"schedule": "cron(0 3-25 * * ? *)"}, "out of 0-23"),
    ],
)
def test_bad_windows_and_schedules_are_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CacheWarmSettings(**values)


def test_a_window_wrapping_midnight_accepts_late_and_early_runs() -> None:
    warm = CacheWarmSettings(schedule="cron(0 23,1 * * ? *)", off_peak=(22, 3))
    assert warm.cron_hours(warm.schedule) == {23, 1}


def _schedules(timezone: str, window: tuple[int, int]) -> ScheduleSettings:
    return ScheduleSettings(
        timezone=timezone, cache_warm=CacheWarmSettings(schedule=None, off_peak=window)
    )


@pytest.mark.parametrize(
    ("timezone", "window", "now", "inside", "local"),
    [
        ("UTC", (2, 6), datetime(2026, 11, 28, 4, 30, tzinfo=UTC), True, "04:30"),
        ("UTC", (2, 6), datetime(2026, 11, 28, 6, 0, tzinfo=UTC), False, "06:00"),
        ("UTC", (2, 6), datetime(2026, 11, 28, 1, 59), False, "01:59"),  # naive = UTC
        ("Europe/Berlin", (2, 6), datetime(2026, 11, 28, 3, 30, tzinfo=UTC), True, "04:30"),
        ("Europe/Berlin", (2, 6), datetime(2026, 11, 28, 5, 30, tzinfo=UTC), False, "06:30"),
        ("America/New_York", (22, 3), datetime(2026, 11, 29, 4, 0, tzinfo=UTC), True, "23:00"),
        ("America/New_York", (22, 3), datetime(2026, 11, 29, 7, 0, tzinfo=UTC), True, "02:00"),
        ("America/New_York", (22, 3), datetime(2026, 11, 29, 8, 0, tzinfo=UTC), False, "03:00"),
        ("America/New_York", (22, 3), datetime(2026, 11, 29, 2, 59, tzinfo=UTC), False, "21:59"),
    ],
)
def test_the_clock_against_the_window(
    timezone: str, window: tuple[int, int], now: datetime, inside: bool, local: str
) -> None:
    gate = off_peak(_schedules(timezone, window), now)
    assert (gate.inside, gate.local_time) == (inside, local)
    assert gate.window == f"{window[0]:02d}:00-{window[1]:02d}:00 {timezone}"


def test_an_unknown_time_zone_is_a_clear_error() -> None:
    with pytest.raises(OffPeakError, match="Mars/Olympus"):
        off_peak(_schedules("Mars/Olympus", (2, 6)), datetime(2026, 1, 1, tzinfo=UTC))


def test_cli_outside_the_window_warms_nothing_and_exits_0(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cache_app,
        ["warm", "--off-peak-only", "--now", "2026-11-28T12:00:00", "--root", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "outside off-peak window (02:00-06:00 UTC; now 12:00), nothing warmed" in result.output


def test_cli_inside_the_window_goes_on_to_warm(tmp_path: Path) -> None:
    trending = tmp_path / "trending.txt"
    trending.write_text("\n")
    args = ["warm", "--off-peak-only", "--now", "2026-11-28T04:30:00", "--trending", str(trending)]
    result = CliRunner().invoke(cache_app, [*args, "--edge-url", "http://127.0.0.1:9"])
    assert result.exit_code == 0, result.output
    assert "nothing to warm: no requests ranked yet" in result.output
    assert "outside" not in result.output
