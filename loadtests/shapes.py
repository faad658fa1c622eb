"""The load shape, selected by `--load-shape steady|ramp|spike` (`LOCUST_LOAD_SHAPE`).

Reads the common options (`-u`, `-r`, `--run-time`; 60 s when none is given).
"""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.shape_profiles import profile_at

DEFAULT_RUN_TIME_S = 60.0


class SelectedShape(LoadTestShape):
    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = self.runner.environment.parsed_options if self.runner else None
        users = int(getattr(options, "num_users", None) or 1)
        rate = float(getattr(options, "spawn_rate", None) or users)
        run_time = float(getattr(options, "run_time", None) or DEFAULT_RUN_TIME_S)
        kind = getattr(options, "load_shape", "steady")
        return profile_at(kind, self.get_run_time(), users, rate, run_time)
