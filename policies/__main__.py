"""The CrossGuard entry point: `pulumi preview --policy-pack policies` runs this file.

`PolicyPack(...)` starts the analyzer's gRPC server and never returns, so it is built here
and nowhere else. Levels come from policy-config.json; when the CLI names the stack
(PULUMI_STACK) and its stack file exists, the settings-derived properties are added too.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.config import stack_policy_config
from policies.pack import PACK_NAME, all_policies, initial_config, load_config, merge

PolicyPack(
    name=PACK_NAME,
    policies=all_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=initial_config(
        merge(load_config(), stack_policy_config(os.environ.get("PULUMI_STACK", "")))
    ),
)
