"""Secrets never echoed (issue 10 §3): a sensitive config value, whatever its type and prefix, is
masked in every ConfigError, warning and repr that kstreams.config writes."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import StreamsConfig
from kstreams.config.secrets import MASK, is_sensitive
from kstreams.errors import ConfigError

BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}
SECRET = "hunter2-s3cr3t"

# librdkafka properties that hold secrets (each is a valid key for every client prefix)
SENSITIVE_CLIENT_KEYS = (
    "sasl.password",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.oauthbearer.assertion.private.key.passphrase",
    "sasl.oauthbearer.assertion.private.key.pem",
    "sasl.oauthbearer.config",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.key.pem",
)
PREFIXES = ("", "consumer.", "main.consumer.", "restore.consumer.", "global.consumer.")
PREFIXES += ("producer.", "admin.")


class _Leaky:
    """A value whose repr and str are the secret itself."""

    def __repr__(self) -> str:
        return SECRET

    __str__ = __repr__


def _error(settings: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        StreamsConfig({**BASE, **settings})
    return str(info.value)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("key", SENSITIVE_CLIENT_KEYS)
def test_non_string_secret_is_refused_without_echoing_it(prefix: str, key: str) -> None:
    message = _error({prefix + key: SECRET.encode()})
    assert SECRET not in message
    assert f"Invalid value {MASK} (bytes) for configuration {prefix + key}" in message
    assert "expected a string" in message  # what is wrong is still said


@pytest.mark.parametrize("key", ["sasl.password", "producer.ssl.key.password"])
def test_a_value_whose_repr_is_the_secret_is_masked(key: str) -> None:
    message = _error({key: _Leaky()})
    assert SECRET not in message
    assert f"{MASK} (_Leaky)" in message


def test_python_spelling_is_masked_too() -> None:
    with pytest.raises(ConfigError) as info:
        StreamsConfig(BASE, sasl_password=SECRET.encode())
    assert SECRET not in str(info.value)
    assert "sasl.password" in str(info.value)


def test_unsupported_streams_key_message_masks_a_sensitive_prefixed_key() -> None:
    # client.tag.* is refused with its value in the message: a secret-looking tag is masked
    message = _error({"client.tag.password": SECRET})
    assert SECRET not in message
    assert "client.tag.password" in message


def test_controlled_setting_refusal_masks_a_sensitive_value() -> None:
    from kstreams.config.controlled import _refusal, _shown

    assert _shown("main.consumer.sasl.password", SECRET) == f"{MASK} (str)"
    assert _shown("main.consumer.group.id", "g") == "'g'"
    assert SECRET not in _refusal("x.sasl.password", SECRET, _any_rule())


def _any_rule() -> Any:
    from kstreams.config.controlled import _CONSUMER_RULES

    return _CONSUMER_RULES[0]


@pytest.mark.parametrize(
    "key",
    [
        "sasl.password",
        "SASL_PASSWORD",
        "admin.ssl.keystore.password",
        "ssl.truststore.password",
        "ssl.key.pem",
        "ssl_key",
        "sasl.jaas.config",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.assertion.private.key.file",
    ],
)
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive(key)


@pytest.mark.parametrize(
    "key",
    ["sasl.username", "ssl.key.location", "ssl.certificate.pem", "ssl.ca.location", "acks"],
)
def test_keys_that_are_not_secrets_are_shown(key: str) -> None:
    assert not is_sensitive(key)
