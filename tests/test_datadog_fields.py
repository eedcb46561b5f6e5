from celery_logkit.schemas._datadog_fields import PREPROCESSING, RESERVED, STANDARD


def test_types_are_datadog_types():
    assert set(RESERVED.values()) | set(STANDARD.values()) <= {"string", "number", "object"}


def test_no_standard_attribute_is_the_child_of_another():
    # Datadog refuses a standard attribute under another one (``user`` and ``user.name``).
    for name in STANDARD:
        parts = name.split(".")
        for end in range(1, len(parts)):
            assert ".".join(parts[:end]) not in STANDARD, name


def test_the_attributes_this_project_writes_are_listed():
    for name in ("usr.id", "network.client.ip", "http.method", "evt.name", "evt.outcome"):
        assert STANDARD[name] == "string"
    assert STANDARD["duration"] == "number"
    assert STANDARD["error.stack"] == "string"
    assert "logger.method_name" in STANDARD
    assert RESERVED["ddtags"] == "string"


def test_preprocessing_reads_ddtrace_flat_ids_first():
    assert PREPROCESSING["trace_id"][0] == "dd.trace_id"
    assert PREPROCESSING["span_id"][0] == "dd.span_id"
    assert "dd.service" in PREPROCESSING["service"]
    assert PREPROCESSING["source"] == ("ddsource",)
    assert set(PREPROCESSING) - {"date", "span_id"} <= set(RESERVED)
