"""Shared test setup: make sure the kstreams pytest plugin (Kafka fixtures) is active.

Installed (even editable) the plugin comes through the ``pytest11`` entry point; registering it
again here would be an error, so this only registers it when the entry point did not (source
checkout without install, or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``). ``-p no:kstreams`` still wins.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register ``kstreams.testing.pytest_plugin`` unless the entry point already did."""
    from kstreams.testing import pytest_plugin

    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "kstreams")
