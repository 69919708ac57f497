"""ClientDiagnostics tells an authentication failure (SASL refused, TLS handshake failed, a TLS
alert from the broker) from a broker that is not there (issue 10 §3)."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError

from kstreams.runtime.client_diagnostics import ClientDiagnostics

BROKER = "sasl_plaintext://127.0.0.1:9092/bootstrap"


def _diagnostics() -> ClientDiagnostics:
    return ClientDiagnostics(logging.getLogger("test.diagnostics"))


def test_sasl_and_tls_failures_are_authentication_failures() -> None:
    d = _diagnostics()
    d.error_cb(
        KafkaError(
            KafkaError._AUTHENTICATION,
            f"{BROKER}: SASL authentication error: Authentication failed: Invalid username or "
            "password (after 5ms in state AUTH_REQ)",
        )
    )
    d.error_cb(
        KafkaError(
            KafkaError._SSL,
            "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: certificate verify failed "
            "(after 4ms in state SSL_HANDSHAKE)",
        )
    )
    d.error_cb(
        KafkaError(
            KafkaError._TRANSPORT,
            "ssl://127.0.0.1:9094/bootstrap: Receive failed: error:0A000412:SSL routines::ssl/tls "
            "alert bad certificate: SSL alert number 42 (after 4ms in state APIVERSION_QUERY)",
        )
    )
    assert d.authentication_failures() == [
        f"{BROKER}: SASL authentication error: Authentication failed: Invalid username or password",
        "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: certificate verify failed",
        "ssl://127.0.0.1:9094/bootstrap: Receive failed: error:0A000412:SSL routines::ssl/tls "
        "alert bad certificate: SSL alert number 42",
    ]
    d.clear()
    assert d.authentication_failures() == []


def test_an_absent_broker_is_not_an_authentication_failure() -> None:
    d = _diagnostics()
    d.error_cb(
        KafkaError(KafkaError._TRANSPORT, f"{BROKER}: Connect to ipv4#127.0.0.1:9092 failed")
    )
    d.error_cb(KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"))
    assert d.authentication_failures() == []
    assert d.reasons() == [f"{BROKER}: Connect to ipv4#127.0.0.1:9092 failed"]
