"""The root settings type and its loaders (stack files read with pyyaml)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from stacks.settings.base import (
    NAMESPACE,
    STACKS_DIR,
    Frozen,
    SettingsError,
)
from stacks.settings.cloud_tasks import (
    ClamdSidecarSettings,
    LoadGenSettings,
    ScheduleSettings,
    UploadsServiceSettings,
)
from stacks.settings.delivery import (
    DeliverySettings,
)
from stacks.settings.media import (
    AudioSettings,
    ImageSettings,
    ScanSettings,
)
from stacks.settings.operations import (
    AlertSettings,
    BackupSettings,
    PriceTable,
    QuotaSettings,
    SlaSettings,
    UploadSettings,
)
from stacks.settings.processing import (
    NetworkSettings,
    ProcessingSettings,
)
from stacks.settings.storage import (
    BucketRole,
    StorageSettings,
)


class Settings(Frozen):
    """Everything a stack is: what the program renders and what the harness checks."""

    stack: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
    environment: Literal["local", "dev", "prod"]
    region: str = "eu-west-1"
    owner: str
    data_class: Literal["public", "internal", "confidential", "restricted"] = "confidential"
    extra_tags: dict[str, str] = {}
    storage: StorageSettings
    delivery: DeliverySettings
    processing: ProcessingSettings
    network: NetworkSettings | None = None
    alerts: AlertSettings = AlertSettings()
    backup: BackupSettings = BackupSettings()
    quotas: QuotaSettings = QuotaSettings()
    uploads: UploadSettings = UploadSettings()
    prices: PriceTable = PriceTable()
    slas: SlaSettings = SlaSettings()
    audio: AudioSettings = AudioSettings()
    images: ImageSettings = ImageSettings()
    scan: ScanSettings = ScanSettings()
    uploads_service: UploadsServiceSettings = UploadsServiceSettings()
    clamd_sidecar: ClamdSidecarSettings = ClamdSidecarSettings()
    schedules: ScheduleSettings = ScheduleSettings()
    loadgen: LoadGenSettings = LoadGenSettings()

    @property
    def tags(self) -> dict[str, str]:
        """Tags applied to every taggable resource (by the stack transform)."""
        return {
            "service": NAMESPACE,
            "stack": self.stack,
            "owner": self.owner,
            "data-class": self.data_class,
            **self.extra_tags,
        }

    def bucket_name(self, role: BucketRole | str) -> str:
        """Physical name of a bucket of this stack."""
        return self.storage.bucket_name(BucketRole(role), self.stack)

    def resource_name(self, role: str) -> str:
        """Physical name of a non-bucket resource (queue, table, topic): `<prefix>-<role>-<stack>`.

        Queues: `scan`, `audio`, `image` and `<kind>-dlq`; tables: `quotas`, `content-refs`,
        `jobs`; topics: `alerts-critical`, `alerts-warning`, `alerts-info`.
        """
        return f"{self.storage.bucket_prefix}-{role}-{self.stack}"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, source: str = "<settings>") -> Settings:
        """Validate a plain mapping (keys without the `media-infra:` namespace)."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise SettingsError(source, _problems(exc)) from None


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "<root>"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        problems.append((key, message))
    return problems


def stack_file(stack: str) -> Path:
    """Path of a stack's settings file: `stacks/Pulumi.<stack>.yaml`."""
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


def namespaced_config(document: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """The `media-infra:` keys of a stack file's `config:` block, without the namespace."""
    config = document.get("config")
    if not isinstance(config, Mapping):
        raise SettingsError(source, [("config", "expected a mapping of config keys")])
    values: dict[str, Any] = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace == NAMESPACE:
            values[name] = value
    return values


def load_file(path: Path | str) -> Settings:
    """Load settings from a Pulumi stack file (its `config:` block) with pyyaml."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(str(path), [("<file>", str(exc))]) from None
    if not isinstance(document, Mapping):
        raise SettingsError(str(path), [("<root>", "expected a YAML mapping")])
    return Settings.from_mapping(namespaced_config(document, source=str(path)), source=str(path))


def load_stack(stack: str) -> Settings:
    """Load the settings of a named stack from `stacks/Pulumi.<stack>.yaml`."""
    return load_file(stack_file(stack))
