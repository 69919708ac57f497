"""Shared test setup: the kstreams pytest plugin (Kafka fixtures) and the suite's xdist schedule.

Installed (even editable) the plugin comes through the ``pytest11`` entry point; registering it
again here would be an error, so this only registers it when the entry point did not (source
checkout without install, or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``). ``-p no:kstreams`` still wins.
``suite_schedule`` (next to this file) keeps the heavy modules apart on xdist workers.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register ``kstreams.testing.pytest_plugin`` unless the entry point did; and the schedule."""
    from kstreams.testing import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "kstreams")

    import suite_schedule  # tests/ is on sys.path: pytest put it there to import this file

    suite_schedule.check_heavy_modules()
    if not config.pluginmanager.is_registered(suite_schedule):
        config.pluginmanager.register(suite_schedule, "kstreams-suite-schedule")
