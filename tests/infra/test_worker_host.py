"""Host checks of a worker/edge host, with testinfra: the same checks for this machine
(default) and for a cloud worker (`--hosts=ssh://...` or `docker://...`, see conftest)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

ENCODERS = ("libmp3lame", "libvorbis", "libopus", "aac", "flac", "alac")
BINARIES = ("ffmpeg", "ffprobe", "fpcalc", "clamd", "varnishd", "prometheus")

PROBE = (
    'python3 -c "import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5);'
    " s.sendall(sys.argv[3].encode().decode('unicode_escape').encode('latin-1'));"
    " print(s.recv(4096).decode('latin-1'))\" {host} {port} '{payload}'"
)


def _request(host, address: tuple[str, int], payload: str) -> str:  # type: ignore[no-untyped-def]
    result = host.run(PROBE.format(host=address[0], port=address[1], payload=payload))
    assert result.rc == 0, result.stderr
    return str(result.stdout)


@pytest.mark.parametrize("binary", BINARIES)
def test_binary_is_installed(host, binary: str) -> None:  # type: ignore[no-untyped-def]
    assert host.exists(binary)


def test_ffmpeg_has_the_encoders_of_the_ladder(host) -> None:  # type: ignore[no-untyped-def]
    listing = host.run("ffmpeg -hide_banner -encoders").stdout
    rows = listing.split("------", 1)[1].splitlines()
    encoders = {line.split()[1] for line in rows if len(line.split()) > 1}
    assert set(ENCODERS) <= encoders


def test_varnish_has_the_xkey_vmod(host) -> None:  # type: ignore[no-untyped-def]
    command = "find /usr/lib /usr/local/lib -name 'libvmod_xkey.so' -path '*varnish*'"
    found = host.run(f"{command} 2>/dev/null").stdout
    assert "libvmod_xkey.so" in found


@pytest.mark.parametrize("name", ["moto", "clamd", "edge", "prometheus"])
def test_server_listens_on_loopback_only(host, endpoint, name: str) -> None:  # type: ignore[no-untyped-def]
    address, port = endpoint(name)
    assert host.socket(f"tcp://{address}:{port}").is_listening
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening


def test_clamd_answers_ping(host, endpoint) -> None:  # type: ignore[no-untyped-def]
    assert _request(host, endpoint("clamd"), "zPING\\x00").startswith("PONG")


@pytest.mark.parametrize(
    ("name", "path", "marker"),
    [
        ("moto", "/moto-api/", "200"),
        ("edge", "/.edge/health", "200"),
        ("prometheus", "/-/ready", "200"),
    ],
)
def test_http_server_answers(host, endpoint, name: str, path: str, marker: str) -> None:  # type: ignore[no-untyped-def]
    address = endpoint(name)
    reply = _request(host, address, f"GET {path} HTTP/1.0\\r\\nHost: {address[0]}\\r\\n\\r\\n")
    assert reply.split("\r\n", 1)[0].split()[1] == marker
