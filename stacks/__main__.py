"""`pulumi up` entry point (Pulumi.yaml `main: stacks/`): config -> settings -> build -> export."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: stacks, components

import pulumi

from stacks.program import build, settings_from_config

for output_name, output_value in build(settings_from_config()).items():
    pulumi.export(output_name, output_value)
