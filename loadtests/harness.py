"""The harness state of one Locust process, kept on its `Environment` (no module globals).

`install(environment)` (called from `gate.py` at `init`) loads the stack settings, parses
the SLA thresholds, creates the recorder and wires the events: workers ship their samples to
the master with each stats report; the master (or a local runner) merges them, samples a
timeline, and at `quitting` evaluates the SLAs, prints the scorecard, writes the reports and
sets `environment.process_exit_code` (0 pass, `EXIT_SLA_FAILED` when an SLA failed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment
from locust.runners import WorkerRunner

from loadtests.catalogue import Catalogue, load_catalogue
from loadtests.options import thresholds_from
from loadtests.recorder import Recorder
from loadtests.report import LoadResult, build_result, write_reports
from loadtests.sla import EXIT_SLA_FAILED, Threshold, evaluate, render_table
from loadtests.timeline import Window, window
from stacks.settings import Settings, load_stack

REPORT_KEY = "mediainfra"
TIMELINE_INTERVAL_S = 2.0
ATTRIBUTE = "mediainfra_harness"
log = logging.getLogger("loadtests")


@dataclass
class Harness:
    environment: Environment
    settings: Settings
    thresholds: list[Threshold]
    recorder: Recorder
    catalogue: Catalogue
    started: float = field(default_factory=time.time)
    timeline: list[Window] = field(default_factory=list)
    result: LoadResult | None = None

    @property
    def options(self) -> Any:
        return self.environment.parsed_options

    @property
    def is_worker(self) -> bool:
        return isinstance(self.environment.runner, WorkerRunner)


def harness_of(environment: Environment) -> Harness:
    """The harness of this process (installed at `init`)."""
    harness = getattr(environment, ATTRIBUTE, None)
    if harness is None:
        raise RuntimeError("loadtests harness not installed: run with `locust -f loadtests`")
    return harness


def install(environment: Environment) -> Harness:
    options = environment.parsed_options
    settings = load_stack(getattr(options, "stack", "local"))
    catalogue_path = getattr(options, "catalogue", "")
    harness = Harness(
        environment=environment,
        settings=settings,
        thresholds=thresholds_from(options, settings.slas),
        recorder=Recorder(region=getattr(options, "region", "local") or "local"),
        catalogue=load_catalogue(catalogue_path) if catalogue_path else Catalogue(),
    )
    setattr(environment, ATTRIBUTE, harness)
    events = environment.events

    def report_to_master(client_id: str, data: dict[str, Any]) -> None:
        data[REPORT_KEY] = harness.recorder.drain()

    def worker_report(client_id: str, data: dict[str, Any]) -> None:
        harness.recorder.merge(data.get(REPORT_KEY, {}))

    def test_start(environment: Environment, **_: Any) -> None:
        harness.started = time.time()
        if not harness.is_worker:
            gevent.spawn(_sample_timeline, harness)

    def quitting(environment: Environment, **_: Any) -> None:
        if not harness.is_worker:
            finish(harness)

    events.report_to_master.add_listener(report_to_master)
    events.worker_report.add_listener(worker_report)
    events.test_start.add_listener(test_start)
    events.quitting.add_listener(quitting)
    return harness


def _sample_timeline(harness: Harness) -> None:
    previous, last = harness.recorder.snapshot(), time.time()
    while True:
        gevent.sleep(TIMELINE_INTERVAL_S)
        current, now = harness.recorder.snapshot(), time.time()
        runner = harness.environment.runner
        users = runner.user_count if runner is not None else 0
        harness.timeline.append(window(previous, current, now - harness.started, now - last, users))
        previous, last = current, now


def finish(harness: Harness) -> LoadResult:
    """Evaluate the SLAs, print the scorecard, write reports, set the exit code."""
    verdicts = evaluate(harness.thresholds, harness.recorder.measurements())
    options = harness.options
    result = build_result(
        stack=harness.settings.stack,
        host=str(getattr(harness.environment, "host", "") or ""),
        shape=getattr(options, "load_shape", "steady"),
        started=harness.started,
        finished=time.time(),
        verdicts=verdicts,
        recorder=harness.recorder,
        timeline=harness.timeline,
    )
    harness.result = result
    print(f"\nSLA scorecard (stack {harness.settings.stack})\n{render_table(verdicts)}")
    for region, table in result.region_tables().items():
        print(f"\nregion {region}\n{table}")
    report_dir = getattr(harness.options, "report_dir", "")
    if report_dir:
        paths = write_reports(result, Path(report_dir))
        print("\nreports: " + ", ".join(str(p) for p in paths))
    failed = [v for v in verdicts if v.failed]
    harness.environment.process_exit_code = EXIT_SLA_FAILED if failed else 0
    if failed:
        print(f"\nSLA FAILED: {', '.join(v.threshold.text for v in failed)}")
    return result
