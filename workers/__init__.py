"""Runtime side: the code that runs in the worker containers (no Pulumi here)."""
