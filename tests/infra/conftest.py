"""Where the servers under test listen.

Against this machine (testinfra's default local backend) the module starts the servers it
checks (moto, clamd, the Varnish edge and its origin, Prometheus) on free ports and stops
them after. Against another host (`pytest tests/infra --hosts=ssh://worker-1` or
`docker://...`), pass where its servers listen instead and nothing is started:
`--infra-endpoints clamd=127.0.0.1:3310,moto=127.0.0.1:4566,...` (a missing name skips the
checks of that server).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

SERVERS = ("moto", "clamd", "edge", "prometheus")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--infra-endpoints",
        default="",
        help="name=host:port,... of servers already running on the host under test",
    )


def _parse(text: str) -> dict[str, tuple[str, int]]:
    endpoints = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, address = item.partition("=")
        host, _, port = address.rpartition(":")
        endpoints[name] = (host, int(port))
    return endpoints


@pytest.fixture(scope="module")
def endpoints(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[str, int]]]:
    given = request.config.getoption("--infra-endpoints")
    if given:
        yield _parse(given)
        return
    from local.layout import LocalPorts
    from local.stack import LocalStack
    from stacks.settings import load_stack

    stack = LocalStack(
        load_stack("local"), root=tmp_path_factory.mktemp("infra-stack"), ports=LocalPorts.free()
    )
    try:
        state = stack.up(services=("moto", "clamd", "origin", "edge", "prometheus"))
        ports = state.ports
        yield {
            "moto": ("127.0.0.1", ports.moto),
            "clamd": ("127.0.0.1", ports.clamd),
            "edge": ("127.0.0.1", ports.edge),
            "prometheus": ("127.0.0.1", ports.prometheus),
        }
    finally:
        stack.down()


@pytest.fixture
def endpoint(endpoints: dict[str, tuple[str, int]]):  # type: ignore[no-untyped-def]
    def get(name: str) -> tuple[str, int]:
        if name not in endpoints:
            pytest.skip(f"{name} is not among the endpoints under test")
        return endpoints[name]

    return get
