"""Which config keys hold secrets, and how a config value is shown in an error, a log line or a repr.

Every place in :mod:`kstreams.config` that puts a user's value into text goes through
:func:`shown`, so a password, a private key or a JAAS line never reaches a message, whatever
its type and prefix (``sasl.password``, ``producer.ssl.key.password``,
``main.consumer.sasl.oauthbearer.client.secret``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MASK", "is_sensitive", "shown"]

MASK = "********"
"""What a secret value is shown as."""

_SECRET_WORDS = (
    "password",  # sasl.password, ssl.key.password, ssl.keystore.password, ...truststore.password
    "secret",  # sasl.oauthbearer.client.secret, ...client.credentials.client.secret
    "passphrase",  # sasl.oauthbearer.assertion.private.key.passphrase
    "private.key",  # sasl.oauthbearer.assertion.private.key.pem / .file
    "jaas",  # Java's sasl.jaas.config (holds the password)
    "oauthbearer.config",  # may hold a client secret
    "credential",  # anything named after credentials
)
_SECRET_ENDINGS = (
    "key.pem",  # ssl.key.pem: the private key itself
    "ssl.key",  # ssl_key: librdkafka's private key set through the C API
)


def is_sensitive(key: str) -> bool:
    """Whether ``key`` (any prefix, dots or underscores, any case) may hold a secret."""
    name = key.strip().lower().replace("_", ".")
    return any(word in name for word in _SECRET_WORDS) or name.endswith(_SECRET_ENDINGS)


def shown(key: str, value: Any) -> str:
    """``value`` as an error or log line may show it: its repr, or :data:`MASK` and its type
    for a sensitive ``key`` (the type helps: ``sasl.password`` given as bytes)."""
    if is_sensitive(key):
        return f"{MASK} ({type(value).__name__})" if value is not None else "None"
    return repr(value)
