"""The edge never stores a `private` response (a user's watermarked copy); shared ones it does.

Runs the rendered VCL under `varnishtest`: a real varnishd in front of a scripted origin.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from local.vcl import render_vcl
from stacks.settings import Settings

TOKEN = "t" * 24
PRIVATE = "private, max-age=86400"

SCRIPT = """varnishtest "private responses are never stored or shared"
server s1 {
    rxreq
    txresp -hdr "Cache-Control: %(private)s" -hdr "ETag: \\"a\\"" -body "alice-1"
    rxreq
    txresp -hdr "Cache-Control: %(private)s" -hdr "ETag: \\"a\\"" -body "alice-2"
    rxreq
    expect req.url ~ "user=bob"
    txresp -hdr "Cache-Control: %(private)s" -body "bob-1"
    rxreq
    txresp -hdr "Cache-Control: public, max-age=60" -hdr "Cache-Tag: audio" -body "shared"
} -start
varnish v1 -arg "-p http_gzip_support=off" -vcl {
%(vcl)s
} -start
client c1 {
    txreq -url "/premium/c/v/mp3-128.mp3?exp=1&user=alice&sig=x"
    rxresp
    expect resp.body == "alice-1"
    expect resp.http.Cache-Control == "%(private)s"
    expect resp.http.X-Cache == "MISS"
    txreq -url "/premium/c/v/mp3-128.mp3?exp=1&user=alice&sig=x"
    rxresp
    expect resp.body == "alice-2"
    expect resp.http.X-Cache == "MISS"
    txreq -url "/premium/c/v/mp3-128.mp3?exp=1&user=bob&sig=y"
    rxresp
    expect resp.body == "bob-1"
    txreq -url "/audio/c/v/mp3-128.mp3"
    rxresp
    expect resp.http.X-Cache == "MISS"
    txreq -url "/audio/c/v/mp3-128.mp3"
    rxresp
    expect resp.body == "shared"
    expect resp.http.X-Cache == "HIT"
    expect resp.http.Cache-Control == "public, max-age=86400"
} -run
"""


def vtc_script(settings: Settings) -> str:
    """The varnishtest script with the rendered VCL pointed at the scripted origin `s1`."""
    vcl = render_vcl(
        settings.delivery, stack="local", origin_host="127.0.0.1", origin_port=1, purge_token=TOKEN
    )
    vcl = vcl.replace('.host = "127.0.0.1";', '.host = "${s1_addr}";')
    vcl = vcl.replace('.port = "1";', '.port = "${s1_port}";')
    header, _, body = vcl.partition("\n")
    assert header == "vcl 4.1;"  # varnishtest declares the VCL version itself
    return SCRIPT % {"vcl": body, "private": PRIVATE}


@pytest.mark.skipif(shutil.which("varnishtest") is None, reason="varnishtest not installed")
def test_private_responses_go_to_the_origin_every_time(
    local_settings: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "private.vtc"
    script.write_text(vtc_script(local_settings))
    result = subprocess.run(
        ["varnishtest", "-q", "-t", "60", str(script)], capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout.decode()[-3000:] + result.stderr.decode()[-1000:]


def test_private_check_precedes_the_class_ttls(local_settings: Settings) -> None:
    vcl = render_vcl(
        local_settings.delivery,
        stack="local",
        origin_host="127.0.0.1",
        origin_port=8081,
        purge_token=TOKEN,
    )
    backend_response = vcl[vcl.index("sub vcl_backend_response") :]
    private = backend_response.index("private([")
    assert private < backend_response.index("X-Cache-Class =")
    assert backend_response.index("return (deliver);", private) < backend_response.index(
        "X-Cache-Class ="
    )
