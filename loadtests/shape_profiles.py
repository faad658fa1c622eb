"""Load shapes as pure functions of time: steady, ramp, spike.

Each returns `(users, spawn_rate)` at `t` seconds into a run of `run_time` seconds, or None
when the run is over.
"""

from __future__ import annotations

import math

SHAPES = ("steady", "ramp", "spike")


def profile_at(
    kind: str, t: float, users: int, spawn_rate: float, run_time: float
) -> tuple[int, float] | None:
    """The target user count and spawn rate of shape `kind` at time `t`."""
    if t >= run_time:
        return None
    users = max(1, users)
    if kind == "steady":
        return users, spawn_rate
    if kind == "ramp":
        ramp_end = 0.8 * run_time
        target = users if t >= ramp_end else max(1, math.ceil(users * t / ramp_end))
        return target, spawn_rate
    if kind == "spike":
        base = max(1, users // 4)
        in_spike = 0.4 * run_time <= t < 0.6 * run_time
        return (users if in_spike else base), max(spawn_rate, float(users))
    raise ValueError(f"unknown load shape {kind!r}: expected one of {', '.join(SHAPES)}")
