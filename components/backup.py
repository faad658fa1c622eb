"""`MediaBackup`: AWS Backup for the media buckets (point-in-time, hourly, daily + copy).

A KMS-encrypted vault with a vault lock (governance mode: minimum and maximum retention
from the settings), a copy vault in `backup.copy_region` (its own provider, key and lock)
when set, one plan with three rules — continuous (PITR), hourly and daily, the daily rule
copied to the copy vault — and a selection of every bucket carrying the backup tag, with
the IAM role AWS Backup assumes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.backup import PlanRuleArgsDict, PlanRuleCopyActionArgsDict

from stacks.settings import BackupSettings, Settings

TYPE_TOKEN = "media-infra:backup:MediaBackup"
ALL_BUCKETS = "arn:aws:s3:::*"
SELECTION_CONDITION = "STRINGEQUALS"
CONTINUOUS_RULE = "continuous"
HOURLY_RULE = "hourly"
DAILY_RULE = "daily"
START_WINDOW_MINUTES = 60
HOURLY_COMPLETION_MINUTES = 120
DAILY_COMPLETION_MINUTES = 360
BACKUP_MANAGED_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
)


@dataclass(frozen=True)
class MediaBackupArgs:
    """Inputs of `MediaBackup`."""

    settings: Settings
    """The stack settings: schedules, retention, vault lock, copy region, selection tag."""
    kms_key_arn: pulumi.Input[str]
    """The storage key: encrypts the vault; the backup role may use it to read the buckets."""


def backup_rules(
    backup: BackupSettings, vault_name: pulumi.Input[str], copy_vault_arn: pulumi.Input[str] | None
) -> list[PlanRuleArgsDict]:
    """The plan's rules: continuous (PITR), hourly and daily (copied when a copy vault exists)."""
    copy_actions: list[PlanRuleCopyActionArgsDict] = []
    if copy_vault_arn is not None:
        copy_actions.append(
            {
                "destination_vault_arn": copy_vault_arn,
                "lifecycle": {"delete_after": backup.daily_retention_days},
            }
        )
    return [
        {
            "rule_name": CONTINUOUS_RULE,
            "target_vault_name": vault_name,
            "schedule": backup.daily_schedule,
            "enable_continuous_backup": True,
            "lifecycle": {"delete_after": backup.continuous_retention_days},
        },
        {
            "rule_name": HOURLY_RULE,
            "target_vault_name": vault_name,
            "schedule": backup.hourly_schedule,
            "start_window": START_WINDOW_MINUTES,
            "completion_window": HOURLY_COMPLETION_MINUTES,
            "lifecycle": {"delete_after": backup.hourly_retention_days},
        },
        {
            "rule_name": DAILY_RULE,
            "target_vault_name": vault_name,
            "schedule": backup.daily_schedule,
            "start_window": START_WINDOW_MINUTES,
            "completion_window": DAILY_COMPLETION_MINUTES,
            "lifecycle": {"delete_after": backup.daily_retention_days},
            "copy_actions": copy_actions,
        },
    ]


def assume_role_policy() -> str:
    """Trust policy: AWS Backup assumes the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "backup.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def key_use_policy(kms_key_arn: str) -> str:
    """Inline policy: read and write the SSE-KMS encrypted buckets with the storage key."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    "Resource": kms_key_arn,
                }
            ],
        }
    )


class MediaBackup(pulumi.ComponentResource):
    """The backup vaults, plan and selection of the media buckets."""

    vault: aws.backup.Vault
    copy_vault: aws.backup.Vault | None
    plan: aws.backup.Plan
    selection: aws.backup.Selection
    role: aws.iam.Role

    def __init__(
        self, name: str, args: MediaBackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = args.settings
        backup = settings.backup
        child = pulumi.ResourceOptions(parent=self)

        self.vault = self._locked_vault(
            f"{name}-vault", settings.resource_name("vault"), args.kms_key_arn, settings, child
        )
        self.copy_vault = None
        if backup.copy_region:
            copy_provider = aws.Provider(
                f"{name}-copy-region", region=backup.copy_region, opts=child
            )
            copy_opts = pulumi.ResourceOptions(parent=self, provider=copy_provider)
            copy_key = aws.kms.Key(
                f"{name}-copy-key",
                description=f"media-infra {settings.stack}: backup copies in {backup.copy_region}",
                enable_key_rotation=True,
                deletion_window_in_days=settings.storage.kms_deletion_window_days,
                opts=copy_opts,
            )
            self.copy_vault = self._locked_vault(
                f"{name}-copy-vault",
                settings.resource_name("vault-copy"),
                copy_key.arn,
                settings,
                copy_opts,
            )

        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=settings.resource_name("backup-plan"),
            rules=backup_rules(
                backup, self.vault.name, self.copy_vault.arn if self.copy_vault else None
            ),
            opts=child,
        )

        self.role = aws.iam.Role(
            f"{name}-role",
            name=settings.resource_name("backup"),
            assume_role_policy=assume_role_policy(),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{policy_arn.rsplit('/', 1)[-1]}",
                role=self.role.name,
                policy_arn=policy_arn,
                opts=child,
            )
            for policy_arn in BACKUP_MANAGED_POLICIES
        ]
        key_use = aws.iam.RolePolicy(
            f"{name}-role-kms",
            role=self.role.id,
            policy=pulumi.Output.from_input(args.kms_key_arn).apply(key_use_policy),
            opts=child,
        )

        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=settings.resource_name("backup-selection"),
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=[ALL_BUCKETS],
            selection_tags=[
                {
                    "type": SELECTION_CONDITION,
                    "key": backup.selection_tag_key,
                    "value": backup.selection_tag_value,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*attachments, key_use]),
        )
        self.register_outputs(
            {
                "vault": self.vault,
                "copy_vault": self.copy_vault,
                "plan": self.plan,
                "selection": self.selection,
                "role": self.role,
            }
        )

    def _locked_vault(
        self,
        resource_name: str,
        vault_name: str,
        kms_key_arn: pulumi.Input[str],
        settings: Settings,
        opts: pulumi.ResourceOptions,
    ) -> aws.backup.Vault:
        """A KMS-encrypted vault and its lock (governance mode, retention bounds)."""
        vault = aws.backup.Vault(
            resource_name,
            name=vault_name,
            kms_key_arn=kms_key_arn,
            force_destroy=settings.storage.force_destroy,
            opts=opts,
        )
        aws.backup.VaultLockConfiguration(
            f"{resource_name}-lock",
            backup_vault_name=vault.name,
            min_retention_days=settings.backup.vault_lock_min_retention_days,
            max_retention_days=settings.backup.vault_lock_max_retention_days,
            opts=opts,
        )
        return vault
