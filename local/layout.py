"""Where the local stack keeps its state, which ports it uses and its generated secrets.

Everything lives under one root (`.local-stack/` in the repository by default, gitignored):
`stack.json` (ports, secrets, what was applied), `run/` pid files, `logs/`, and one folder
per server for its generated configuration and data.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO_ROOT / ".local-stack"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalPorts:
    """TCP ports on 127.0.0.1, one per server."""

    moto: int = 4566
    edge: int = 6081
    origin: int = 8081
    uploads: int = 8070
    clamd: int = 3310
    prometheus: int = 9090
    alertmanager: int = 9093
    alerts: int = 9095
    exporter: int = 9097

    @classmethod
    def free(cls) -> LocalPorts:
        """Ports free right now (for tests running next to a stack on the defaults)."""
        return cls(**{f.name: free_port() for f in fields(cls)})


@dataclass(frozen=True)
class LocalSecrets:
    """Secrets generated for one local stack (never committed; stack.json is 0600)."""

    purge_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    origin_signing_key: str = field(default_factory=lambda: secrets.token_hex(32))
    upload_token_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    image_key: str = field(default_factory=lambda: secrets.token_hex(32))
    image_salt: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass(frozen=True)
class LocalLayout:
    """Paths of one local stack's state."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "stack.json"

    def dir(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def alerts_file(self) -> Path:
        return self.root / "alerts.jsonl"


@dataclass(frozen=True)
class StackState:
    """What `local up` decided and did, read back by `status`, `down` and `cache`."""

    stack: str
    ports: LocalPorts
    secrets: LocalSecrets
    applied_by: str = ""
    summary: dict[str, dict[str, str]] = field(default_factory=dict)
    """Status -> {resource type: detail} of the applied program."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Service -> why it was not started (e.g. a worker that is not written yet)."""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.moto}"

    @property
    def edge_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.edge}"

    @property
    def uploads_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.uploads}"

    def save(self, layout: LocalLayout) -> None:
        layout.root.mkdir(parents=True, exist_ok=True)
        path = layout.state_file
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))

    @classmethod
    def load(cls, layout: LocalLayout) -> StackState | None:
        try:
            data: dict[str, Any] = json.loads(layout.state_file.read_text())
        except FileNotFoundError:
            return None
        return cls(
            stack=data["stack"],
            ports=LocalPorts(**data["ports"]),
            secrets=LocalSecrets(**data["secrets"]),
            applied_by=data.get("applied_by", ""),
            summary=data.get("summary", {}),
            unavailable=data.get("unavailable", {}),
        )
