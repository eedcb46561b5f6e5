"""Which service a line belongs to: ``service``, ``env`` and ``version``.

Resolved once per process, in this order for each value: ``install()``'s options (or
the formatter's arguments), then the standard environment variables
(``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, then ``DD_SERVICE``, ``DD_ENV``,
``DD_VERSION``), then, for the name only, the Celery app's main name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ServiceIdentity", "resolve_identity"]


@dataclass(frozen=True)
class ServiceIdentity:
    """The service's name, environment and version (each may be unknown)."""

    name: str | None = None
    environment: str | None = None
    version: str | None = None


def _resource_attributes(environ: Mapping[str, str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for item in environ.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() and value.strip():
            attributes[key.strip()] = value.strip()
    return attributes


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def resolve_identity(
    name: str | None = None,
    environment: str | None = None,
    version: str | None = None,
    *,
    app_name: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServiceIdentity:
    """Return the service identity from explicit values, the environment, the app."""
    env = os.environ if environ is None else environ
    resource = _resource_attributes(env)
    return ServiceIdentity(
        name=_first(
            name,
            env.get("OTEL_SERVICE_NAME"),
            resource.get("service.name"),
            env.get("DD_SERVICE"),
            app_name,
        ),
        environment=_first(
            environment,
            resource.get("deployment.environment.name"),
            resource.get("deployment.environment"),
            env.get("DD_ENV"),
        ),
        version=_first(version, resource.get("service.version"), env.get("DD_VERSION")),
    )
