"""Service identity: explicit values, then OTel and Datadog variables, then the app."""

from __future__ import annotations

from celery_logkit._identity import ServiceIdentity, resolve_identity


def test_explicit_values_win() -> None:
    env = {"OTEL_SERVICE_NAME": "otel", "DD_ENV": "dd", "DD_VERSION": "9"}
    assert resolve_identity("svc", "prod", "1", app_name="app", environ=env) == ServiceIdentity(
        "svc", "prod", "1"
    )


def test_opentelemetry_then_datadog_then_app() -> None:
    env = {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=res, deployment.environment.name=stage,"
        "service.version=2.0,broken",
        "DD_SERVICE": "dd",
        "DD_ENV": "dd-env",
        "DD_VERSION": "dd-v",
    }
    assert resolve_identity(app_name="app", environ=env) == ServiceIdentity("res", "stage", "2.0")
    assert resolve_identity(app_name="app", environ={"OTEL_SERVICE_NAME": "o", **env}).name == "o"
    dd_only = {"DD_SERVICE": "dd", "DD_ENV": "dd-env", "DD_VERSION": "dd-v"}
    assert resolve_identity(app_name="app", environ=dd_only) == ServiceIdentity(
        "dd", "dd-env", "dd-v"
    )
    assert resolve_identity(app_name="app", environ={}) == ServiceIdentity("app")
    assert resolve_identity(environ={}) == ServiceIdentity()
