"""A word-count instance serving interactive queries over HTTP, as a separate process.

    python iq_word_count_app.py BOOTSTRAP APPLICATION_ID STATE_DIR INPUT OUTPUT PORT

``application.server`` is ``127.0.0.1:PORT`` and an ``InteractiveQueryServer`` listens there;
the consumer's session times out after 6 s, so a SIGKILLed instance leaves the group soon.
Prints ``SERVING`` once started and ``RUNNING`` once the client is; SIGTERM closes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).parents[3] / "examples"),
]

from app_signals import close_and_report, stop_event  # noqa: E402

STOP = stop_event()  # first of all: SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack

import word_count  # noqa: E402

from kstreams import KafkaStreams  # noqa: E402
from kstreams.interactive import InteractiveQueryServer  # noqa: E402


def main() -> int:
    bootstrap, app_id, state_dir, src, dst, port = sys.argv[1:7]
    config = word_count.config(bootstrap, app_id)
    config.update(
        {
            "state.dir": state_dir,
            "application.server": f"127.0.0.1:{port}",
            "commit.interval.ms": 200,
            "poll.ms": 50,
            "consumer.session.timeout.ms": 6000,
            "consumer.heartbeat.interval.ms": 500,
        }
    )
    streams = KafkaStreams(word_count.build_topology(src, dst), config)
    streams.start()
    server = InteractiveQueryServer(streams).start()
    print("SERVING", flush=True)
    streams.wait_until_running(60)
    print("RUNNING", flush=True)
    STOP.wait()
    server.close()
    return 0 if close_and_report(streams) else 1


if __name__ == "__main__":
    sys.exit(main())
