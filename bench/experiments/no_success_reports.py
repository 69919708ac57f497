"""Experiment: no Python call per successful delivery (passthrough only: no changelog).

kstreams' producer calls ``KafkaRecordCollector.on_delivery`` for every record it produced,
successful or not; only failures matter for sink records. With librdkafka's
``delivery.report.only.error=true`` successful deliveries cost no Python call. (Changelog
records need their offsets, so kstreams itself would keep per-record reports for those, e.g.
on a second producer or by taking offsets from the last record of each changelog flush.)

Loaded by ``contenders/kstreams_app.py`` when ``BENCH_KSTREAMS_PATCH`` names this file.
"""

from __future__ import annotations

import kstreams.config as config

config.PRODUCER_DEFAULTS["delivery.report.only.error"] = True
