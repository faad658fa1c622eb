"""The harness's Locust listeners: options, and the SLA gate installed at `init`.

Locust runs this file once (as a locustfile of the `loadtests` folder); nothing imports it,
so each listener is registered exactly once per process.
"""

from __future__ import annotations

from typing import Any

from locust import events

from loadtests import harness, options


@events.init_command_line_parser.add_listener
def _add_options(parser: Any) -> None:
    options.add_options(parser)


@events.init.add_listener
def _install(environment: Any, **_: Any) -> None:
    harness.install(environment)
