import importlib.util
from pathlib import Path
from types import ModuleType

from celery_logkit.schemas import _ecs_fields

ROOT = Path(__file__).resolve().parent.parent
CSV = Path(__file__).resolve().parent / "specs" / "ecs-fields.csv"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_ecs_fields", ROOT / "scripts" / "gen_ecs_fields.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_module_is_what_the_script_writes_from_the_csv():
    gen = _generator()
    source = (ROOT / "src" / "celery_logkit" / "schemas" / "_ecs_fields.py").read_text("utf-8")
    assert source == gen.render(gen.read_rows(CSV))


def test_fields_match_the_csv_rows():
    gen = _generator()
    rows = gen.read_rows(CSV)
    assert {row["ECS_Version"] for row in rows} == {_ecs_fields.ECS_VERSION}
    csv_types = {row["Field"]: row["Type"] for row in rows}
    for name, kind in _ecs_fields.FIELDS.items():
        assert csv_types[name] == kind
    assert _ecs_fields.FIELDS["labels"] == "object"
    assert _ecs_fields.FIELDS["tags"] == "keyword"
    assert _ecs_fields.FIELDS["user.id"] == "keyword"
    assert _ecs_fields.FIELDS["client.ip"] == "ip"
    assert _ecs_fields.FIELDS["http.request.method"] == "keyword"
    assert _ecs_fields.FIELDS["event.duration"] == "long"
    assert _ecs_fields.FIELDS["error.stack_trace"] == "wildcard"


def test_multi_fields_are_left_out_and_nothing_else():
    gen = _generator()
    csv_fields = {row["Field"] for row in gen.read_rows(CSV)}
    left_out = csv_fields - _ecs_fields.FIELDS.keys()
    assert "error.stack_trace.text" in left_out
    assert "user.name.text" in left_out
    assert all(name.endswith(".text") for name in left_out)
    assert all(name.rsplit(".", 1)[0] in _ecs_fields.FIELDS for name in left_out)


def test_no_field_sits_under_a_field_that_holds_a_value():
    containers = {"object", "nested", "flattened"}
    for name in _ecs_fields.FIELDS:
        parts = name.split(".")
        for end in range(1, len(parts)):
            parent = _ecs_fields.FIELDS.get(".".join(parts[:end]))
            assert parent is None or parent in containers, name
