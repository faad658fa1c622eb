"""clamd replies -> verdicts, addresses, and exit codes: only a plain OK is clean."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.scan.clamd_client import ClamdAddress
from workers.scan.cli import exit_code
from workers.scan.verdicts import Clean, Infected, ScanFailed, parse_reply


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("stream: OK", Clean(10)),
        ("stream: OK\0", Clean(10)),
        ("stream: Eicar-Test-Signature FOUND", Infected("Eicar-Test-Signature", 10)),
        ("stream: Win.Test.EICAR_HDB-1 FOUND\n", Infected("Win.Test.EICAR_HDB-1", 10)),
    ],
)
def test_recognised_replies(reply: str, expected: object) -> None:
    assert parse_reply(reply, 10) == expected


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "\0",
        "INSTREAM size limit exceeded. ERROR",
        "stream: Can't allocate memory ERROR",
        "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND",
        "stream:  FOUND",
        "PONG",
        "stream: ok",
        "stream: OK but not really",
        "UNKNOWN COMMAND",
    ],
)
def test_everything_else_fails_closed(reply: str) -> None:
    assert isinstance(parse_reply(reply, 10), ScanFailed)


def test_size_limit_reason_is_kept() -> None:
    verdict = parse_reply("INSTREAM size limit exceeded. ERROR", 5)
    assert verdict == ScanFailed("clamd error: INSTREAM size limit exceeded.")


@given(st.text())
def test_arbitrary_replies_are_clean_only_when_exactly_ok(reply: str) -> None:
    verdict = parse_reply(reply, 1)
    if isinstance(verdict, Clean):
        assert reply.strip("\x00\r\n ").partition(": ")[2] == "OK"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/run/clamd.sock", ClamdAddress(unix_path="/run/clamd.sock")),
        ("unix:/run/clamd.sock", ClamdAddress(unix_path="/run/clamd.sock")),
        ("127.0.0.1:3310", ClamdAddress(host="127.0.0.1", port=3310)),
        ("tcp://127.0.0.1:3311", ClamdAddress(host="127.0.0.1", port=3311)),
    ],
)
def test_address_parsing(text: str, expected: ClamdAddress) -> None:
    assert ClamdAddress.parse(text) == expected
    assert ClamdAddress.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["clamd", "127.0.0.1:", ":3310", "host:port"])
def test_bad_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a clamd address"):
        ClamdAddress.parse(text)


def test_exit_codes() -> None:
    clean, infected, failed = Clean(1), Infected("x", 1), ScanFailed("down")
    assert exit_code([clean, clean]) == 0
    assert exit_code([clean, failed, infected]) == 1
    assert exit_code([clean, failed]) == 2
    assert exit_code([]) == 2
