"""Locust package: SLA scenarios for the media platform (`locust -f loadtests ...`).

Locust loads every `.py` file here not starting with `_` as a locustfile. Modules that do
not import locust (SLA expressions, recorder, Zipf, reports, compare, CLI) hold the logic;
`gate.py` is the only module that registers event listeners, and nothing imports it, so
they are registered exactly once per process. This `__init__` imports nothing.
"""
