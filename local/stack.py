"""The embedded local stack: start the servers, apply the `local` program, report, stop.

`LocalStack(settings).up()` starts moto, applies the stack's Pulumi program to it through
the local engine (`local.engine.apply_stack`), then clamd, the origin, the Varnish edge,
the uploads API, one worker process per job kind, the alert receiver, the exporter,
Alertmanager and Prometheus, each bound to 127.0.0.1 and tracked by pid files under the
root. `down()` stops exactly those processes. `status()` reads them back.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from local import service_specs as specs
from local.engine import aws_api
from local.layout import DEFAULT_ROOT, LocalLayout, LocalPorts, LocalSecrets, StackState
from local.moto_api import LocalApplyError
from local.services import ServiceSpec, ServiceState, Supervisor
from stacks.settings import BucketRole, JobKind, Settings

ALERT_SEVERITIES = ("critical", "warning", "info")
SERVICES: tuple[str, ...] = (
    "moto",
    "alerts",
    "clamd",
    "origin",
    "edge",
    "uploads",
    *(f"worker-{kind.value}" for kind in JobKind),
    "exporter",
    "alertmanager",
    "prometheus",
)
"""Every service, in start order (stopped in reverse)."""


@dataclass(frozen=True)
class StackStatus:
    """What `status` shows: the services, and how the program's resources are emulated."""

    state: StackState | None
    services: list[ServiceState] = field(default_factory=list)


class LocalStack:
    """One local stack rooted at `root` (default `.local-stack/` in the repository)."""

    def __init__(
        self, settings: Settings, root: Path | None = None, ports: LocalPorts | None = None
    ) -> None:
        self.settings = settings
        self.layout = LocalLayout(Path(root or DEFAULT_ROOT))
        self.supervisor = Supervisor(self.layout.root)
        self._ports = ports

    def _state(self) -> StackState:
        existing = StackState.load(self.layout)
        if existing is not None and existing.stack == self.settings.stack:
            if self._ports is None or self._ports == existing.ports:
                return existing
            return replace(existing, ports=self._ports)
        return StackState(
            stack=self.settings.stack,
            ports=self._ports or LocalPorts(),
            secrets=LocalSecrets(),
        )

    def spec(self, name: str, state: StackState) -> ServiceSpec:
        """The spec of one service (writes its configuration files)."""
        settings, layout = self.settings, self.layout
        if name.startswith("worker-"):
            return specs.worker(JobKind(name.removeprefix("worker-")), state, layout, settings)
        builders = {
            "moto": lambda: specs.moto(state),
            "alerts": lambda: specs.alert_receiver(state, layout),
            "clamd": lambda: specs.clamd(state, layout, settings),
            "origin": lambda: specs.origin(state, settings),
            "edge": lambda: specs.edge(state, layout, settings),
            "uploads": lambda: specs.uploads(state, settings),
            "exporter": lambda: specs.exporter(state, layout, settings),
            "alertmanager": lambda: specs.alertmanager(state, layout),
            "prometheus": lambda: specs.prometheus(state, layout, settings),
        }
        return builders[name]()

    def up(self, services: Collection[str] | None = None) -> StackState:
        """Start `services` (default: all) and apply the program once moto is up."""
        wanted = [name for name in SERVICES if services is None or name in services]
        state = self._state()
        unavailable = dict(state.unavailable)
        for name in wanted:
            if name.startswith("worker-"):
                kind = JobKind(name.removeprefix("worker-"))
                if not specs.worker_available(kind):
                    unavailable[name] = f"{specs.WORKER_MODULES[kind]} is not written yet"
                    continue
                unavailable.pop(name, None)
            state.save(self.layout)
            self.supervisor.start(self.spec(name, state))
            if name == "moto":
                state = self.apply(state)
            if name == "alerts" and "moto" in wanted:
                self.subscribe_alerts(state)
        state = replace(state, unavailable=unavailable)
        state.save(self.layout)
        return state

    def apply(self, state: StackState) -> StackState:
        """Apply the stack's program to moto; without `stacks.program`, bootstrap instead."""
        try:
            import stacks.program  # noqa: F401 - only checking that the program exists
        except ModuleNotFoundError as exc:
            if exc.name != "stacks.program":
                raise
            self.bootstrap(state)
            return replace(
                state,
                applied_by="workers.pipeline.bootstrap (stacks.program not available yet)",
                summary={},
            )
        from local.engine import apply_stack

        try:
            result = apply_stack(self.settings, state.endpoint)
        except LocalApplyError:
            raise
        except Exception as exc:  # the program itself failed: say so, with its error
            raise LocalApplyError(f"stacks.program failed under the local engine: {exc}") from exc
        return replace(state, applied_by="stacks.program via local.engine", summary=result.summary)

    def bootstrap(self, state: StackState) -> None:
        """Create the pipeline's resources without the program (before it exists)."""
        from local import moto_handlers
        from workers.pipeline.bootstrap import bootstrap
        from workers.pipeline.clients import AwsClients

        bootstrap(self.settings, AwsClients.create(self.settings.region, state.endpoint))
        api = aws_api(state.endpoint, self.settings.region)
        moto_handlers.table(
            api,
            {
                "name": self.settings.resource_name("quotas"),
                "hashKey": "user_id",
                "attributes": [{"name": "user_id", "type": "S"}],
                "billingMode": "PAY_PER_REQUEST",
            },
        )
        moto_handlers.bucket_versioning(
            api,
            {
                "bucket": self.settings.bucket_name(BucketRole.DERIVATIVES),
                "versioningConfiguration": {"status": "Enabled"},
            },
        )

    def subscribe_alerts(self, state: StackState) -> list[str]:
        """Subscribe the alert receiver to each alerts topic over HTTP (local wiring)."""
        api = aws_api(state.endpoint, self.settings.region)
        arns = []
        for severity in ALERT_SEVERITIES:
            name = self.settings.resource_name(f"alerts-{severity}")
            topic = api.sns.create_topic(Name=name)["TopicArn"]
            endpoint = f"http://127.0.0.1:{state.ports.alerts}/sns"
            existing = api.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            if any(sub["Endpoint"] == endpoint for sub in existing):
                continue
            arns.append(
                api.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)[
                    "SubscriptionArn"
                ]
            )
        return arns

    def down(self) -> list[str]:
        """Stop every service this stack started (by pid file and process group)."""
        return self.supervisor.stop_all()

    def status(self) -> StackStatus:
        return StackStatus(StackState.load(self.layout), self.supervisor.states())
