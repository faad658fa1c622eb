"""The services of the local stack as `ServiceSpec`s: command lines, addresses, health checks.

Configuration files each server needs (VCL, clamd.conf, prometheus.yml, rules,
alertmanager.yml) are written here, from the stack settings, before the spec is returned.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from local.layout import LocalLayout, StackState
from local.prometheus_rules import (
    alertmanager_config,
    dump,
    prometheus_config,
    prometheus_rules,
)
from local.services import Health, ServiceSpec
from local.vcl import VARNISH_PARAMETERS, render_vcl
from stacks.settings import JobKind, Settings

HOST = "127.0.0.1"
WORKER_MODULES = {
    JobKind.SCAN: "workers.scan.job",
    JobKind.AUDIO: "workers.audio.job",
    JobKind.IMAGE: "workers.images.job",
}
"""Job kind -> the handler module `workers.runner` imports (checked before starting)."""


def _python(*args: str) -> tuple[str, ...]:
    return (sys.executable, *args)


def _mediainfra(*args: str) -> tuple[str, ...]:
    script = shutil.which("mediainfra")
    if script:
        return (script, *args)
    return _python("-c", "from mediainfra.cli import main; main()", *args)


def aws_env(settings: Settings, state: StackState) -> dict[str, str]:
    """Environment of every process that talks to the local AWS (moto)."""
    return {
        "AWS_ENDPOINT_URL": state.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": settings.region,
        "PYTHONUNBUFFERED": "1",
    }


def app_env(settings: Settings, state: StackState) -> dict[str, str]:
    """AWS environment plus the stack's secrets, by the names the services read."""
    return {
        **aws_env(settings, state),
        settings.uploads.token_secret_env: state.secrets.upload_token_secret,
        "MEDIAINFRA_ORIGIN_SIGNING_KEY": state.secrets.origin_signing_key,
        **{
            f"MEDIAINFRA_IMAGE_KEY_{k}": state.secrets.image_key
            for k in settings.images.signing_key_ids
        },
        **{
            f"MEDIAINFRA_IMAGE_SALT_{k}": state.secrets.image_salt
            for k in settings.images.signing_key_ids
        },
    }


def moto(state: StackState) -> ServiceSpec:
    port = state.ports.moto
    return ServiceSpec(
        name="moto",
        argv=_python("-m", "moto.server", "-H", HOST, "-p", str(port)),
        address=state.endpoint,
        health=Health("http", f"{state.endpoint}/moto-api/"),
        description="local AWS: S3, SQS, SNS, DynamoDB, CloudWatch",
    )


def clamd(state: StackState, layout: LocalLayout, settings: Settings) -> ServiceSpec:
    from workers.scan.clamd_server import CLAMD_BINARY, ClamdServer

    server = ClamdServer(
        layout.dir("clamd"), port=state.ports.clamd, max_bytes=settings.scan.max_file_bytes
    )
    config = server.write_config()
    return ServiceSpec(
        name="clamd",
        argv=(CLAMD_BINARY, "-c", str(config)),
        address=f"{HOST}:{state.ports.clamd}",
        health=Health("clamd", f"{HOST}:{state.ports.clamd}"),
        description="ClamAV with the bundled signatures",
        start_timeout_seconds=90.0,
    )


def origin(state: StackState, settings: Settings) -> ServiceSpec:
    port = state.ports.origin
    return ServiceSpec(
        name="origin",
        argv=_python(
            "-m", "workers.origin.cli", "serve", "--stack", settings.stack, "--port", str(port)
        ),
        address=f"http://{HOST}:{port}",
        health=Health("http", f"http://{HOST}:{port}/healthz"),
        description="delivery origin (derivatives from S3)",
        env=app_env(settings, state),
    )


def edge(state: StackState, layout: LocalLayout, settings: Settings) -> ServiceSpec:
    folder = layout.dir("varnish")
    vcl = folder / "edge.vcl"
    vcl.write_text(
        render_vcl(
            settings.delivery,
            stack=settings.stack,
            origin_host=HOST,
            origin_port=state.ports.origin,
            purge_token=state.secrets.purge_token,
        )
    )
    parameters = [arg for p in VARNISH_PARAMETERS for arg in ("-p", p)]
    argv = (
        "varnishd",
        "-F",
        "-j",
        "none",
        "-n",
        str(varnish_dir(layout)),
        "-a",
        f"{HOST}:{state.ports.edge}",
        "-T",
        f"{HOST}:0",
        "-f",
        str(vcl),
        "-s",
        "malloc,256m",
        *parameters,
    )
    return ServiceSpec(
        name="edge",
        argv=argv,
        address=state.edge_url,
        health=Health("http", f"{state.edge_url}/.edge/health"),
        description="Varnish edge (VCL from the cache rules, xkey)",
    )


def varnish_dir(layout: LocalLayout) -> Path:
    """The varnishd `-n` working directory (varnishstat/varnishadm use it too)."""
    return layout.root.resolve() / "varnish" / "n"


def uploads(state: StackState, settings: Settings) -> ServiceSpec:
    port = state.ports.uploads
    return ServiceSpec(
        name="uploads",
        argv=_mediainfra("uploads-api", "--stack", settings.stack, "--port", str(port)),
        address=state.uploads_url,
        health=Health("http", f"{state.uploads_url}/healthz"),
        description="uploads API (presigned multipart, quotas)",
        env=app_env(settings, state),
    )


def worker_available(kind: JobKind) -> bool:
    """Whether the handler module of `kind` exists in this checkout."""
    try:
        return importlib.util.find_spec(WORKER_MODULES[kind]) is not None
    except ModuleNotFoundError:
        return False


def worker(
    kind: JobKind, state: StackState, layout: LocalLayout, settings: Settings
) -> ServiceSpec:
    argv = _mediainfra(
        "worker",
        "run",
        "--kind",
        kind.value,
        "--stack",
        settings.stack,
        "--endpoint-url",
        state.endpoint,
        "--clamd",
        f"{HOST}:{state.ports.clamd}",
        "--wait-seconds",
        "1",
        "--scratch",
        str(layout.dir("scratch")),
    )
    return ServiceSpec(
        name=f"worker-{kind.value}",
        argv=argv,
        address=f"queue {settings.resource_name(kind.value)}",
        health=Health("process"),
        description=f"{kind.value} worker (stands in for the ECS service)",
        env=app_env(settings, state),
        start_timeout_seconds=10.0,
        settle_seconds=2.0,
    )


def alert_receiver(state: StackState, layout: LocalLayout) -> ServiceSpec:
    port = state.ports.alerts
    return ServiceSpec(
        name="alerts",
        argv=_python(
            "-m", "local.alert_receiver", "--port", str(port), "--record", str(layout.alerts_file)
        ),
        address=f"http://{HOST}:{port}",
        health=Health("http", f"http://{HOST}:{port}/healthz"),
        description="webhook receiver recording alerts (Alertmanager, SNS)",
    )


def exporter(state: StackState, layout: LocalLayout, settings: Settings) -> ServiceSpec:
    port = state.ports.exporter
    return ServiceSpec(
        name="exporter",
        argv=_python(
            "-m",
            "local.exporter",
            "--port",
            str(port),
            "--stack",
            settings.stack,
            "--endpoint",
            state.endpoint,
            "--varnish-dir",
            str(varnish_dir(layout)),
        ),
        address=f"http://{HOST}:{port}/metrics",
        health=Health("http", f"http://{HOST}:{port}/metrics"),
        description="queue depth/age, bucket sizes, edge hit/miss (varnishstat)",
        env=aws_env(settings, state),
    )


def alertmanager(state: StackState, layout: LocalLayout) -> ServiceSpec:
    folder = layout.dir("alertmanager")
    config = folder / "alertmanager.yml"
    config.write_text(dump(alertmanager_config(f"http://{HOST}:{state.ports.alerts}/alertmanager")))
    port = state.ports.alertmanager
    return ServiceSpec(
        name="alertmanager",
        argv=(
            "prometheus-alertmanager",
            f"--config.file={config}",
            f"--storage.path={layout.dir('alertmanager/data')}",
            f"--web.listen-address={HOST}:{port}",
            "--cluster.listen-address=",
        ),
        address=f"http://{HOST}:{port}",
        health=Health("http", f"http://{HOST}:{port}/-/ready"),
        description="Alertmanager -> the alert receiver",
    )


def prometheus(state: StackState, layout: LocalLayout, settings: Settings) -> ServiceSpec:
    folder = layout.dir("prometheus")
    rules = folder / "rules.yml"
    rules.write_text(dump(prometheus_rules(settings).document))
    config = folder / "prometheus.yml"
    targets = {
        "origin": f"{HOST}:{state.ports.origin}",
        "uploads": f"{HOST}:{state.ports.uploads}",
        "exporter": f"{HOST}:{state.ports.exporter}",
    }
    config.write_text(
        dump(
            prometheus_config(
                rules_file=str(rules),
                alertmanager=f"{HOST}:{state.ports.alertmanager}",
                targets=targets,
            )
        )
    )
    port = state.ports.prometheus
    return ServiceSpec(
        name="prometheus",
        argv=(
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={layout.dir('prometheus/data')}",
            f"--web.listen-address={HOST}:{port}",
            "--rules.alert.resend-delay=1s",
        ),
        address=f"http://{HOST}:{port}",
        health=Health("http", f"http://{HOST}:{port}/-/ready"),
        description="Prometheus (alert rules from the CloudWatch alarm table)",
    )
