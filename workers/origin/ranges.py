"""HTTP Range requests (RFC 9110 single byte ranges)."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiableError(ValueError):
    """The range lies outside the representation (answered 416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`(first, last)` inclusive for one byte range, or None to send the whole body.

    Multiple ranges and unparseable headers are ignored (a full 200 is a valid answer);
    a syntactically valid range that cannot be satisfied raises.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:
        length = int(last_text)
        if length == 0 or size == 0:
            raise RangeNotSatisfiableError(header)
        return max(size - length, 0), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiableError(header)
    return first, min(last, size - 1)
