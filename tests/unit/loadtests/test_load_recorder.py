"""Recorder: measurements from samples; merging worker reports; per-region breakdown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.recorder import Recorder, percentile, rounded_ms
from loadtests.shape_profiles import profile_at
from loadtests.timeline import window


def test_measurements_from_samples():
    recorder = Recorder(region="eu")
    for ms in range(1, 101):
        recorder.sample("first_byte", float(ms))
    recorder.sample("download", 1000.0, nbytes=20 * 1024**2)
    recorder.sample("download", 0.0, failed=True)
    for header in ("HIT", "HIT", "MISS", "hit, hit"):
        recorder.cache_status(header)
    m = recorder.measurements()
    assert m["p95 first_byte"] == 95.0 and m["p50 first_byte"] == 50.0
    assert m["avg download"] == 20.0  # MB/s
    assert m["rate failures"] == 100.0 / 102
    assert m["value hit_ratio"] == 75.0


@given(st.lists(st.tuples(st.sampled_from(["us", "eu", "ap"]), st.floats(0, 5000)), max_size=60))
def test_merging_worker_drains_equals_recording_in_one_place(samples):  # type: ignore[no-untyped-def]
    single, master = Recorder(), Recorder()
    workers = {region: Recorder(region=region) for region in ("us", "eu", "ap")}
    for region, ms in samples:
        workers[region].sample("first_byte", ms)
        single.region = region
        single.sample("first_byte", ms)
    for worker in workers.values():
        master.merge(worker.drain())
        assert worker.series == {}
    assert master.measurements() == pytest.approx(single.measurements())
    for region in master.regions():
        assert master.measurements([region]) == pytest.approx(single.measurements([region]))


def test_histogram_percentiles():
    assert rounded_ms(1234.0) == 1200 and rounded_ms(57.4) == 57 and rounded_ms(-1) == 0
    assert percentile({}, 0.5) is None
    assert percentile({10: 9, 500: 1}, 0.95) == 500.0
    assert percentile({10: 9, 500: 1}, 0.9) == 10.0


def test_timeline_window_is_the_difference_of_snapshots():
    recorder = Recorder()
    recorder.sample("download", 100.0, nbytes=1024**2)
    before = recorder.snapshot()
    for _ in range(4):
        recorder.sample("download", 100.0, nbytes=1024**2)
        recorder.sample("first_byte", 30.0)
    recorder.cache_status("MISS")
    point = window(before, recorder.snapshot(), t=4.0, seconds=2.0)
    assert point.rps == 4.0 and point.mb_per_s == 2.0 and point.hit_ratio == 0.0
    assert point.p95_first_byte == 30.0


def test_shapes():
    assert profile_at("steady", 5, 10, 2, 60) == (10, 2)
    assert profile_at("steady", 60, 10, 2, 60) is None
    ramp = [profile_at("ramp", t, 10, 2, 100)[0] for t in (1, 40, 79, 90)]  # type: ignore[index]
    assert ramp == sorted(ramp) and ramp[0] == 1 and ramp[-1] == 10
    assert profile_at("spike", 10, 20, 2, 100)[0] == 5  # type: ignore[index]
    assert profile_at("spike", 50, 20, 2, 100)[0] == 20  # type: ignore[index]
    assert profile_at("spike", 70, 20, 2, 100)[0] == 5  # type: ignore[index]
