"""A secured local Kafka broker for tests: SASL (PLAIN, SCRAM-SHA-256), SSL and ACLs.

:class:`SecureKafkaBroker` is a :class:`~kstreams.testing.broker.LocalKafkaBroker` whose client
listeners all authenticate and whose authorizer (KRaft's ``StandardAuthorizer``,
``allow.everyone.if.no.acl.found=false``) refuses whatever no ACL allows:

* ``SASL_PLAINTEXT`` (:attr:`~SecureKafkaBroker.bootstrap_servers`): PLAIN (users given to the
  constructor, fixed at start) and SCRAM-SHA-256 (users made at run time with
  :meth:`~SecureKafkaBroker.create_scram_user`);
* ``SSL`` (:attr:`~SecureKafkaBroker.ssl_bootstrap_servers`): mutual TLS, a client certificate
  ``CN=<name>`` is the principal ``User:<name>`` (:meth:`~SecureKafkaBroker.ssl_client_config`);
* ``SASL_SSL`` (:attr:`~SecureKafkaBroker.sasl_ssl_bootstrap_servers`): TLS without client
  certificates, then SASL (PLAIN or SCRAM-SHA-256).

The broker and controller talk to each other as the super user ``admin`` (SASL PLAIN), which
is also the test harness's user (:meth:`~SecureKafkaBroker.admin_config`): it creates users,
ACLs and topics. A fresh CA and broker certificate are made per broker with ``openssl``
(:func:`make_ca`, :func:`make_certificate`), so the broker needs nothing but what the plain
local broker needs (the Kafka jars, Java 17+) and ``openssl``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kstreams.testing.broker import LocalKafkaBroker
from kstreams.testing.broker_env import BrokerStartError
from kstreams.testing.kafka_admin import admin_client
from kstreams.testing.processes import _free_ports

__all__ = [
    "SCRAM_MECHANISM",
    "Acl",
    "CertificateAuthority",
    "SecureKafkaBroker",
    "make_ca",
    "make_certificate",
    "streams_acls",
]

SCRAM_MECHANISM = "SCRAM-SHA-256"
"""The SCRAM mechanism the broker enables (besides PLAIN)."""

_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class CertificateAuthority:
    """A test CA: its certificate (give it to clients as ``ssl.ca.location``) and its key."""

    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BrokerStartError("no `openssl` found on PATH: the secured test broker needs it")
    proc = subprocess.run(
        [openssl, *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        raise BrokerStartError(f"openssl {' '.join(args[:2])} failed: {proc.stderr[-2000:]}")


def make_ca(
    directory: str | os.PathLike[str], name: str = "kstreams-test-ca"
) -> CertificateAuthority:
    """Make a self-signed CA (EC P-256, valid 7 days) in ``directory`` as ``<name>.pem/.key``."""
    where = Path(directory)
    where.mkdir(parents=True, exist_ok=True)
    cert, key = where / f"{name}.pem", where / f"{name}.key"
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", f"/CN={name}",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=where,
    )  # fmt: skip
    return CertificateAuthority(cert, key)


def make_certificate(
    ca: CertificateAuthority, directory: str | os.PathLike[str], common_name: str
) -> tuple[Path, Path]:
    """Make a key and a certificate ``CN=<common_name>`` signed by ``ca``, for server and client
    use, valid for ``localhost`` and ``127.0.0.1``; return ``(cert, key)`` (PEM; the key is
    PKCS#8, unencrypted)."""
    where = Path(directory)
    where.mkdir(parents=True, exist_ok=True)
    cert, key, csr = (where / f"{common_name}{ext}" for ext in (".pem", ".key", ".csr"))
    ext = where / f"{common_name}.ext"
    ext.write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
    )
    _openssl(
        "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={common_name}",
        cwd=where,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey", str(ca.key),
        "-CAcreateserial", "-out", str(cert), "-days", "7", "-extfile", str(ext),
        cwd=where,
    )  # fmt: skip
    csr.unlink()
    ext.unlink()
    return cert, key


# --------------------------------------------------------------------------- ACLs


@dataclass(frozen=True)
class Acl:
    """One ALLOW ACL: ``principal`` may do ``operation`` on a resource, from any host.

    ``resource_type``/``operation``/``pattern`` are names of confluent-kafka's
    ``ResourceType``/``AclOperation``/``ResourcePatternType`` (``"TOPIC"``, ``"READ"``,
    ``"PREFIXED"``); the cluster resource is named ``"kafka-cluster"``.
    """

    principal: str
    resource_type: str
    name: str
    operation: str
    pattern: str = "LITERAL"

    def binding(self) -> Any:
        """The confluent-kafka ``AclBinding``."""
        from confluent_kafka.admin import (
            AclBinding,
            AclOperation,
            AclPermissionType,
            ResourcePatternType,
            ResourceType,
        )

        return AclBinding(
            ResourceType[self.resource_type],
            self.name,
            ResourcePatternType[self.pattern],
            self.principal,
            "*",
            AclOperation[self.operation],
            AclPermissionType.ALLOW,
        )


def streams_acls(
    principal: str,
    application_id: str,
    *,
    sources: Iterable[str] = (),
    sinks: Iterable[str] = (),
    exactly_once: bool = False,
) -> list[Acl]:
    """The ACLs a kstreams application needs (docs/guide/security.md), as Kafka Streams
    documents them: READ on its source topics, WRITE on its sink topics, CREATE / READ / WRITE /
    DESCRIBE / DELETE on the topics prefixed with ``application.id`` (its repartition and
    changelog topics; DELETE purges repartition records), READ on the group
    ``application.id`` (LITERAL: every consumer of the application names that group), and
    under exactly-once WRITE on the transactional ids prefixed with ``application.id``.
    No cluster ACL: since Kafka 3.0 (KIP-679) WRITE on a topic lets the idempotent producer
    start without ``IDEMPOTENT_WRITE``."""
    acls = [Acl(principal, "TOPIC", t, "READ") for t in sources]
    acls += [Acl(principal, "TOPIC", t, "WRITE") for t in sinks]
    acls += [
        Acl(principal, "TOPIC", application_id, op, "PREFIXED")
        for op in ("CREATE", "READ", "WRITE", "DESCRIBE", "DELETE")
    ]
    acls.append(Acl(principal, "GROUP", application_id, "READ"))
    if exactly_once:
        acls.append(Acl(principal, "TRANSACTIONAL_ID", application_id, "WRITE", "PREFIXED"))
    return acls


# --------------------------------------------------------------------------- the broker


def _jaas(module: str, **options: str) -> str:
    # Values are test passwords of [A-Za-z0-9_-]: no quoting needed beyond the double quotes.
    return f"{module} required " + " ".join(f'{k}="{v}"' for k, v in options.items()) + ";"


class SecureKafkaBroker(LocalKafkaBroker):
    """A single-node KRaft broker whose every listener authenticates and which enforces ACLs.

    Args:
        plain_users: SASL/PLAIN users (name -> password) besides ``admin``; PLAIN users are
            fixed when the broker starts (SCRAM users are made at run time).
        admin_password: the super user's password (a random one by default).
        **kwargs: as :class:`~kstreams.testing.broker.LocalKafkaBroker`.
    """

    ADMIN_USER = "admin"

    def __init__(
        self,
        *,
        plain_users: Mapping[str, str] | None = None,
        admin_password: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.admin_password = admin_password or secrets.token_urlsafe(12)
        self.plain_users = dict(plain_users or {})
        self._extra_ports: tuple[int, int] | None = None
        self._extra_for: int | None = None
        self._ca: CertificateAuthority | None = None

    # ---- where

    @property
    def ssl_port(self) -> int:
        """The SSL (mutual TLS) listener's port."""
        return self._extras()[0]

    @property
    def sasl_ssl_port(self) -> int:
        """The SASL_SSL listener's port."""
        return self._extras()[1]

    @property
    def ssl_bootstrap_servers(self) -> str:
        """``"127.0.0.1:<ssl port>"``."""
        return f"{self.host}:{self.ssl_port}"

    @property
    def sasl_ssl_bootstrap_servers(self) -> str:
        """``"127.0.0.1:<sasl_ssl port>"``."""
        return f"{self.host}:{self.sasl_ssl_port}"

    @property
    def tls_dir(self) -> Path:
        """Where the CA and the certificates are (``<data_dir>/tls``)."""
        return self.data_dir / "tls"

    @property
    def ca(self) -> CertificateAuthority:
        """The CA that signed the broker's certificate (and :meth:`ssl_client_config`'s)."""
        if self._ca is None or not self._ca.cert.exists():  # none yet, or a new data_dir
            self._ca = make_ca(self.tls_dir)
        return self._ca

    def _extras(self) -> tuple[int, int]:
        # Chosen with the client port: a new cluster on new ports (start()'s retry after a port
        # was taken) gets new ones too; a restart keeps them.
        if self._extra_ports is None or self._extra_for != self.port:
            ssl, sasl_ssl = _free_ports(2)
            self._extra_ports, self._extra_for = (ssl, sasl_ssl), self.port
        return self._extra_ports

    # ---- client settings

    def admin_config(self) -> dict[str, Any]:
        """librdkafka settings of the super user (``admin``, SASL_PLAINTEXT PLAIN)."""
        return self.sasl_config(self.ADMIN_USER, self.admin_password, mechanism="PLAIN")

    def sasl_config(
        self,
        user: str,
        password: str,
        *,
        mechanism: str = SCRAM_MECHANISM,
        tls: bool = False,
    ) -> dict[str, Any]:
        """librdkafka settings for ``user`` over SASL_PLAINTEXT (or SASL_SSL if ``tls``)."""
        conf: dict[str, Any] = {
            "bootstrap.servers": self.sasl_ssl_bootstrap_servers if tls else self.bootstrap_servers,
            "security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
            "sasl.mechanism": mechanism,
            "sasl.username": user,
            "sasl.password": password,
        }
        if tls:
            conf["ssl.ca.location"] = str(self.ca.cert)
        return conf

    def ssl_client_config(self, user: str) -> dict[str, Any]:
        """librdkafka settings for ``user`` over SSL with a client certificate ``CN=<user>``
        (made on first use), which the broker maps to the principal ``User:<user>``."""
        cert = self.tls_dir / "clients" / f"{user}.pem"
        key = self.tls_dir / "clients" / f"{user}.key"
        if not cert.exists():
            cert, key = make_certificate(self.ca, self.tls_dir / "clients", user)
        return {
            "bootstrap.servers": self.ssl_bootstrap_servers,
            "security.protocol": "SSL",
            "ssl.ca.location": str(self.ca.cert),
            "ssl.certificate.location": str(cert),
            "ssl.key.location": str(key),
        }

    # ---- users and ACLs

    def admin(self) -> Any:
        """An ``AdminClient`` of the super user."""
        conf = self.admin_config()
        return admin_client(conf.pop("bootstrap.servers"), **conf)

    def create_scram_user(self, user: str, password: str, *, timeout: float = 30.0) -> None:
        """Create (or update) the SCRAM-SHA-256 credential of ``user`` and wait until it works."""
        from confluent_kafka.admin import (
            ScramCredentialInfo,
            ScramMechanism,
            UserScramCredentialUpsertion,
        )

        upsert = UserScramCredentialUpsertion(
            user, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password.encode()
        )
        admin = self.admin()  # kept alive until the futures are done
        futures = admin.alter_user_scram_credentials([upsert], request_timeout=timeout)
        for future in futures.values():
            future.result(timeout=timeout)
        # The controller committed it; the broker applies it from the metadata log soon after.
        conf = self.sasl_config(user, password)
        probe = admin_client(conf.pop("bootstrap.servers"), **conf)
        deadline = time.monotonic() + timeout
        while True:
            try:
                probe.list_topics(timeout=2.0)
                return
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"SCRAM user {user!r} could not log in within {timeout}s"
                    ) from exc
                time.sleep(0.1)

    def create_acls(self, acls: Iterable[Acl], *, timeout: float = 30.0) -> None:
        """Create ``acls`` and wait until the authorizer applies them (KRaft applies ACLs from
        the metadata log: describe_acls answers them once they are in force)."""
        acls = list(acls)
        if not acls:
            return
        admin = self.admin()
        futures = admin.create_acls([a.binding() for a in acls], request_timeout=timeout)
        for future in futures.values():
            future.result(timeout=timeout)
        self._await_acls(admin, acls, present=True, timeout=timeout)

    def delete_acls(self, acls: Iterable[Acl], *, timeout: float = 30.0) -> None:
        """Delete ``acls`` (exact bindings) and wait until they are gone."""
        acls = list(acls)
        if not acls:
            return
        admin = self.admin()
        futures = admin.delete_acls([a.binding() for a in acls], request_timeout=timeout)
        for future in futures.values():
            future.result(timeout=timeout)
        self._await_acls(admin, acls, present=False, timeout=timeout)

    @staticmethod
    def _await_acls(admin: Any, acls: list[Acl], *, present: bool, timeout: float) -> None:
        from confluent_kafka.admin import (
            AclBindingFilter,
            AclOperation,
            AclPermissionType,
            ResourcePatternType,
            ResourceType,
        )

        everything = AclBindingFilter(
            ResourceType.ANY,
            None,
            ResourcePatternType.ANY,
            None,
            None,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        wanted = {a.binding() for a in acls}
        deadline = time.monotonic() + timeout
        while True:
            have = set(admin.describe_acls(everything, request_timeout=timeout).result())
            if (wanted <= have) if present else not (wanted & have):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"ACLs {acls} not {'applied' if present else 'removed'}")
            time.sleep(0.05)

    # ---- the broker's side

    def server_properties(self) -> dict[str, str]:
        """The plain broker's settings with SASL/SSL listeners, the authorizer and JAAS."""
        props = super().server_properties()
        port, cport = self.port, self.controller_port
        ssl_port, sasl_ssl_port = self._extras()
        keystore = self._broker_keystore()
        admin = {"username": self.ADMIN_USER, "password": self.admin_password}
        plain_users = {f"user_{self.ADMIN_USER}": self.admin_password}
        plain_users.update({f"user_{u}": p for u, p in self.plain_users.items()})
        listeners = {
            "SASL_PLAINTEXT": port,
            "SSL": ssl_port,
            "SASL_SSL": sasl_ssl_port,
        }
        props.update(
            {
                "listeners": ",".join(
                    [f"{n}://127.0.0.1:{p}" for n, p in listeners.items()]
                    + [f"CONTROLLER://127.0.0.1:{cport}"]
                ),
                "advertised.listeners": ",".join(
                    f"{n}://127.0.0.1:{p}" for n, p in listeners.items()
                ),
                "listener.security.protocol.map": (
                    "SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,"
                    "CONTROLLER:SASL_PLAINTEXT"
                ),
                "inter.broker.listener.name": "SASL_PLAINTEXT",
                "sasl.mechanism.inter.broker.protocol": "PLAIN",
                "sasl.mechanism.controller.protocol": "PLAIN",
                "sasl.enabled.mechanisms": f"PLAIN,{SCRAM_MECHANISM}",
                "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
                "listener.name.controller.plain.sasl.jaas.config": _jaas(
                    _PLAIN_MODULE, **admin, **{f"user_{self.ADMIN_USER}": self.admin_password}
                ),
                "authorizer.class.name": _AUTHORIZER,
                "allow.everyone.if.no.acl.found": "false",
                "super.users": f"User:{self.ADMIN_USER}",
                # TLS: PEM files made per broker; the SSL listener wants client certificates
                # and takes the principal from their CN.
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(keystore),
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(self.ca.cert),
                "listener.name.ssl.ssl.client.auth": "required",
                "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
            }
        )
        for listener in ("sasl_plaintext", "sasl_ssl"):
            props[f"listener.name.{listener}.plain.sasl.jaas.config"] = _jaas(
                _PLAIN_MODULE, **admin, **plain_users
            )
            props[f"listener.name.{listener}.{SCRAM_MECHANISM.lower()}.sasl.jaas.config"] = _jaas(
                _SCRAM_MODULE
            )
        props.update(self.extra_config)
        return props

    def _broker_keystore(self) -> Path:
        """The broker's PEM keystore: its private key, then its certificate and the CA's."""
        keystore = self.tls_dir / "broker-keystore.pem"
        if not keystore.exists():
            cert, key = make_certificate(self.ca, self.tls_dir, "localhost")
            keystore.write_text(key.read_text() + cert.read_text() + self.ca.cert.read_text())
        return keystore

    def _answers(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        admin = self.admin()
        while time.monotonic() < deadline:
            try:
                if admin.list_topics(
                    timeout=max(0.1, min(2.0, deadline - time.monotonic()))
                ).brokers:
                    return True
            except Exception:  # KafkaException while the broker is not there yet
                time.sleep(0.1)
        return False

    def __repr__(self) -> str:
        where = self.bootstrap_servers if self._port is not None else "not started"
        state = "running" if self.is_running else "stopped"
        return f"<SecureKafkaBroker {self.version} {where} {state}>"
