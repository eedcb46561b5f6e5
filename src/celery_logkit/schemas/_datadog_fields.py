"""Datadog's reserved and default standard log attributes, and the type each holds.

Datadog reads a JSON log line's keys as attribute paths: ``{"usr": {"id": "7"}}`` and
``{"usr.id": "7"}`` are both the attribute ``usr.id``.  ``RESERVED`` are the attributes
the intake itself interprets; ``STANDARD`` is the default standard attribute list
(Logs product) that integrations, facets and aliases rely on; ``PREPROCESSING`` is
which attributes of a JSON log the pipeline's preprocessing takes as each reserved
attribute, in the order it tries them.  Types are Datadog's: ``string``, ``number``
or ``object``.
"""

from __future__ import annotations

from typing import Final

__all__ = ["PREPROCESSING", "RESERVED", "STANDARD"]

# Reserved attributes:
# https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/#reserved-attributes
# and the "Reserved" rows of https://docs.datadoghq.com/standard-attributes/?product=log
# (which types trace_id as a number; tracers write it as a decimal string, or 32 hex
# digits for a 128-bit id).  ``ddsource`` and ``ddtags`` are the HTTP intake's names for
# the source and the tags (tags as one "key:value,key2:value2" string):
# https://docs.datadoghq.com/api/latest/logs/#send-logs
RESERVED: Final[dict[str, str]] = {
    "host": "string",
    "source": "string",
    "status": "string",
    "service": "string",
    "trace_id": "number",
    "message": "string",
    "ddsource": "string",
    "ddtags": "string",
}
"""Attribute name -> type, for the attributes Datadog's intake interprets itself."""

# Default standard attributes, Logs product:
# https://docs.datadoghq.com/standard-attributes/?product=log+management
# (before that page existed, the same list was in
# https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/#default-standard-attribute-list).
STANDARD: Final[dict[str, str]] = {
    # Network communications (prefix "network").
    "network.client.ip": "string",
    "network.destination.ip": "string",
    "network.client.port": "number",
    "network.destination.port": "number",
    "network.bytes_read": "number",
    "network.bytes_written": "number",
    # Geolocation (prefix "network.client.geoip"), filled by the GeoIP parser.
    "network.client.geoip.country.name": "string",
    "network.client.geoip.country.iso_code": "string",
    "network.client.geoip.continent.code": "string",
    "network.client.geoip.continent.name": "string",
    "network.client.geoip.subdivision.name": "string",
    "network.client.geoip.subdivision.iso_code": "string",
    "network.client.geoip.city.name": "string",
    # HTTP requests (prefix "http").  The Logs table types status_code as a number;
    # the combined APM/Logs table lists it as a string.
    "http.url": "string",
    "http.status_code": "number",
    "http.method": "string",
    "http.referer": "string",
    "http.request_id": "string",
    "http.useragent": "string",
    "http.version": "string",
    # URL details (prefix "http.url_details"), filled by the URL parser.
    "http.url_details.host": "string",
    "http.url_details.port": "number",
    "http.url_details.path": "string",
    "http.url_details.queryString": "object",
    "http.url_details.scheme": "string",
    # User-Agent details (prefix "http.useragent_details"), filled by the UA parser.
    "http.useragent_details.os.family": "string",
    "http.useragent_details.browser.family": "string",
    "http.useragent_details.device.family": "string",
    # Source code (prefixes "logger" and "error").  There is no standard attribute
    # for the caller's file or line.
    "logger.name": "string",
    "logger.thread_name": "string",
    "logger.method_name": "string",
    "logger.version": "string",
    "error.kind": "string",
    "error.message": "string",
    "error.stack": "string",
    # Database (prefix "db").
    "db.instance": "string",
    "db.statement": "string",
    "db.operation": "string",
    "db.user": "string",
    # Performance: a duration of any kind, in nanoseconds.
    "duration": "number",
    # User related attributes (prefix "usr").
    "usr.id": "string",
    "usr.name": "string",
    "usr.email": "string",
    # Syslog and log shippers (prefix "syslog").
    "syslog.hostname": "string",
    "syslog.appname": "string",
    "syslog.severity": "number",
    "syslog.timestamp": "string",
    "syslog.env": "string",
    # DNS (prefix "dns").
    "dns.id": "string",
    "dns.question.name": "string",
    "dns.question.type": "string",
    "dns.question.class": "string",
    "dns.question.size": "number",
    "dns.answer.name": "string",
    "dns.answer.type": "string",
    "dns.answer.class": "string",
    "dns.answer.size": "number",
    "dns.flags.rcode": "string",
    # Events (prefix "evt"); evt.outcome is e.g. "success" or "failure".
    "evt.name": "string",
    "evt.outcome": "string",
}
"""Dotted attribute path -> type, for Datadog's default standard attributes (Logs)."""

# Preprocessing of JSON logs, per reserved attribute:
# https://docs.datadoghq.com/logs/log_configuration/pipelines/#preprocessing
PREPROCESSING: Final[dict[str, tuple[str, ...]]] = {
    "source": ("ddsource",),
    "date": (
        "@timestamp",
        "timestamp",
        "_timestamp",
        "Timestamp",
        "eventTime",
        "date",
        "published_date",
        "syslog.timestamp",
    ),
    "host": ("host", "hostname", "syslog.hostname"),
    "message": ("message", "msg", "log"),
    "status": ("status", "severity", "level", "syslog.severity"),
    "service": ("service", "syslog.appname", "dd.service"),
    "trace_id": ("dd.trace_id", "contextMap.dd.trace_id", "named_tags.dd.trace_id", "trace_id"),
    "span_id": ("dd.span_id", "contextMap.dd.span_id", "named_tags.dd.span_id", "span_id"),
}
"""Reserved attribute -> the JSON attributes preprocessing takes it from, in order."""
