"""The upload client's resume state: one JSON file per (endpoint, file) in a state directory.

The state names the multipart upload (id, key, part size) and the file it belongs to
(size and mtime): a rerun for the same unchanged file asks the API which parts are stored
and sends only the others. Parts are also recorded here as they finish, so progress is
visible from outside the process; the API's list of parts stays the authority.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    """`$XDG_STATE_HOME/mediainfra/uploads` (default `~/.local/state/mediainfra/uploads`)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "mediainfra" / "uploads"


@dataclass
class UploadState:
    """An upload in progress of one file to one endpoint."""

    endpoint: str
    path: str
    size: int
    mtime_ns: int
    upload_id: str
    key: str
    part_size: int
    parts: dict[int, str] = field(default_factory=dict)
    """Part number -> ETag of the parts this client saw stored."""
    role: str = "track"
    """The role the upload was created with (its `x-amz-meta-role`)."""

    def describes(
        self, endpoint: str, path: Path, size: int, mtime_ns: int, role: str | None = None
    ) -> bool:
        """True when this state belongs to that file, unchanged, on that endpoint.

        With `role`, the upload must also have been created with that role (a rerun with
        another role starts a new upload: the role is fixed when the upload is created).
        """
        same_file = (self.endpoint, self.path, self.size, self.mtime_ns) == (
            endpoint,
            str(path),
            size,
            mtime_ns,
        )
        return same_file and (role is None or role == self.role)


class StateFile:
    """Load, save and update one upload's state; safe to update from several threads."""

    def __init__(self, state_dir: Path, endpoint: str, path: Path) -> None:
        digest = hashlib.sha256(f"{endpoint}\n{path}".encode()).hexdigest()[:32]
        self.path = state_dir / f"{digest}.json"
        self._lock = threading.Lock()
        self._state: UploadState | None = None

    def load(self) -> UploadState | None:
        """The saved state, or None when there is none or it is unreadable (then ignored)."""
        try:
            raw = json.loads(self.path.read_text())
            raw["parts"] = {int(n): str(etag) for n, etag in raw.get("parts", {}).items()}
            state = UploadState(**raw)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.warning("ignoring unreadable upload state %s: %s", self.path, exc)
            return None
        self._state = state
        return state

    def save(self, state: UploadState) -> None:
        """Write `state` atomically (temporary file + rename)."""
        with self._lock:
            self._state = state
            self._write(state)

    def record_part(self, number: int, etag: str) -> None:
        """Add a stored part to the saved state."""
        with self._lock:
            if self._state is None:
                raise RuntimeError("record_part before save")
            self._state.parts[number] = etag
            self._write(self._state)

    def remove(self) -> None:
        """Forget the upload (completed, or replaced by a fresh one)."""
        with self._lock:
            self._state = None
            self.path.unlink(missing_ok=True)

    def _write(self, state: UploadState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        document = asdict(state)
        document["parts"] = {str(n): etag for n, etag in sorted(state.parts.items())}
        temporary.write_text(json.dumps(document, indent=1))
        os.replace(temporary, self.path)
