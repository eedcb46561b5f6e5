"""Options: one model, from install(), settings, environment variables and the command line."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

import celery_logkit
from celery_logkit import _config
from celery_logkit._config import DEFAULT_EVENT_LEVELS, Options

ROOT = Path(__file__).resolve().parents[1]


def test_defaults() -> None:
    options = Options()
    assert options.level("task_started") == logging.INFO
    assert options.level("task_retrying") == logging.WARNING
    assert options.level("task_failed") == logging.ERROR
    assert options.level("task_failed_expected") == logging.INFO
    assert options.level("task_received") == logging.DEBUG
    assert options.propagate == ("request_id", "correlation_id")
    assert set(DEFAULT_EVENT_LEVELS) >= {"task_enqueued", "task_revoked", "task_not_found"}


@pytest.mark.parametrize(
    ("value", "level"),
    [("warning", logging.WARNING), ("ERROR", logging.ERROR), (5, 5), (None, None), ("off", None)],
)
def test_event_levels_accept_names_numbers_and_off(value: object, level: int | None) -> None:
    assert Options(event_levels={"task_started": value}).level("task_started") == level


def test_unknown_event_and_bad_level_are_named() -> None:
    with pytest.raises(ValueError, match=r"'task_sarted'.*task_started"):
        Options(event_levels={"task_sarted": "INFO"})
    with pytest.raises(ValueError, match=r"event_levels\['task_started'\]='LOUD'"):
        Options(event_levels={"task_started": "LOUD"})


def test_propagate_accepts_a_comma_list() -> None:
    assert Options(propagate="request_id, tenant").propagate == ("request_id", "tenant")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="propagate"):
        Options(propagate=[1])  # type: ignore[list-item]


def test_settings_under_install_options() -> None:
    settings = {
        "logkit_keep_celery_lines": True,
        "logkit_event_levels": {"task_started": "WARNING", "task_succeeded": None},
        "broker_url": "memory://",
    }
    options = Options.resolve(settings, {"event_levels": {"task_started": "ERROR"}})
    assert options.keep_celery_lines is True
    assert options.level("task_started") == logging.ERROR
    assert options.level("task_succeeded") is None


def test_unknown_setting_is_named() -> None:
    with pytest.raises(ValueError, match=r"'logkit_shema'.*logkit_schema"):
        Options.resolve({"logkit_shema": "ecs"}, {})


def test_unknown_install_option_is_named() -> None:
    with pytest.raises(TypeError, match=r"'levels'.*event_levels"):
        Options.from_kwargs({"levels": {}})


# -- environment variables ------------------------------------------------------------


def from_env(**variables: str) -> Options:
    return Options.resolve({}, {}, environ={f"LOGKIT_{k.upper()}": v for k, v in variables.items()})


TEXT_VALUES = {
    "schema": "ecs",
    "format": "json",
    "banner": "1",
    "event_levels": "task_started=off",
    "keep_celery_lines": "true",
    "propagate": "tenant",
    "service": "billing",
    "env": "prod",
    "version": "1.2.3",
    "redact_keys": "pin",
    "max_line_bytes": "2048",
    "log_args": "yes",
    "log_result": "on",
    "log_origin": "yes",
}


def test_every_option_is_an_environment_variable_and_a_text_setting() -> None:
    assert set(TEXT_VALUES) == set(Options.names())
    default = Options()
    for name, text in TEXT_VALUES.items():
        by_variable = from_env(**{name: text})
        assert getattr(by_variable, name) != getattr(default, name), name
        by_setting = Options.resolve({f"logkit_{name}": text}, {}, environ={})
        assert by_setting == by_variable, name


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "Yes", "on", " On "])
def test_boolean_variables_true(word: str) -> None:
    assert from_env(banner=word).banner is True


@pytest.mark.parametrize("word", ["0", "false", "False", "no", "OFF"])
def test_boolean_variables_false(word: str) -> None:
    assert from_env(log_args=word).log_args is False


@pytest.mark.parametrize("word", ["2", "y", "enabled", "truthy"])
def test_a_bad_boolean_names_the_variable_and_the_words(word: str) -> None:
    with pytest.raises(
        ValueError,
        match=rf"LOGKIT_LOG_RESULT='{word}' is not a boolean: use one of 1, true, yes, on "
        r"\(true\) or 0, false, no, off \(false\)",
    ):
        from_env(log_result=word)


def test_key_lists_are_comma_separated() -> None:
    options = from_env(propagate=" request_id, tenant ,,", redact_keys="pin,otp")
    assert options.propagate == ("request_id", "tenant")
    assert options.redact_keys == ("pin", "otp")


@pytest.mark.parametrize("word", ["none", "NONE", " None "])
def test_none_is_the_empty_key_list(word: str) -> None:
    assert from_env(redact_keys=word, propagate=word).redact_keys == ()
    assert from_env(propagate=word).propagate == ()


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_variable_is_not_set(blank: str) -> None:
    options = from_env(redact_keys=blank, schema=blank, banner=blank, max_line_bytes=blank)
    assert options == Options()


def test_integers() -> None:
    assert from_env(max_line_bytes="20000").max_line_bytes == 20000
    assert from_env(max_line_bytes=" 32_768 ").max_line_bytes == 32768


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("16k", r"LOGKIT_MAX_LINE_BYTES='16k' is not a whole number of bytes: write digits, at "
                r"least 1024"),
        ("100", r"LOGKIT_MAX_LINE_BYTES=100 must be a whole number of bytes, at least 1024"),
        ("1.5e4", r"LOGKIT_MAX_LINE_BYTES='1.5e4' is not a whole number"),
    ],
)  # fmt: skip
def test_a_bad_integer_names_the_variable(value: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        from_env(max_line_bytes=value)


def test_choices_ignore_case_and_spaces() -> None:
    options = from_env(schema=" ECS ", format="Console")
    assert (options.schema, options.format) == ("ecs", "console")


def test_a_bad_choice_names_the_variable_and_the_choices() -> None:
    with pytest.raises(
        ValueError, match=r"LOGKIT_SCHEMA='elk' is not one of 'datadog', 'default', 'ecs'"
    ):
        from_env(schema="elk")
    with pytest.raises(
        ValueError, match=r"LOGKIT_FORMAT='xml' is not one of 'auto', 'json', 'console'"
    ):
        from_env(format="xml")


def test_text_variables_are_stripped() -> None:
    options = from_env(service=" billing ", env="prod", version="1.2.3")
    assert (options.service, options.env, options.version) == ("billing", "prod", "1.2.3")


def test_event_levels_variable() -> None:
    options = from_env(event_levels="task_started=DEBUG, task_received=off,task_failed=45")
    assert options.level("task_started") == logging.DEBUG
    assert options.level("task_received") is None
    assert options.level("task_failed") == 45
    assert options.level("task_retrying") == logging.WARNING


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("task_started", r"LOGKIT_EVENT_LEVELS='task_started': 'task_started' is not "
                         r"event=level; write for example task_started=DEBUG,task_received=off"),
        ("task_started=", r"'task_started=' is not event=level"),
        ("=INFO", r"'=INFO' is not event=level"),
        ("task_sarted=INFO", r"LOGKIT_EVENT_LEVELS has unknown event\(s\) 'task_sarted'; "
                             r"events are task_enqueued, task_received, task_started"),
        ("task_started=LOUD", r"LOGKIT_EVENT_LEVELS\['task_started'\]='LOUD' is not a level: "
                              r"use a level name \('DEBUG', 'INFO', 'WARNING', 'ERROR', "
                              r"'CRITICAL'\), a number, or None or 'off' to turn it off"),
        ("task_started=INFO,task_started=DEBUG", r"gives 'task_started' twice"),
    ],
)  # fmt: skip
def test_a_bad_event_levels_variable_is_named(value: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        from_env(event_levels=value)


def test_event_levels_merge_event_by_event_across_sources() -> None:
    options = Options.resolve(
        {"logkit_event_levels": {"task_received": "INFO", "task_started": "ERROR"}},
        {"event_levels": {"task_started": "CRITICAL"}},
        environ={"LOGKIT_EVENT_LEVELS": "task_received=DEBUG,task_retrying=off"},
    )
    assert options.level("task_retrying") is None, "from the environment"
    assert options.level("task_received") == logging.INFO, "settings over the environment"
    assert options.level("task_started") == logging.CRITICAL, "install() over settings"


def test_precedence_command_line_install_settings_environment() -> None:
    def schema(**sources: Any) -> str:
        return Options.resolve(
            {"logkit_schema": sources["setting"]} if "setting" in sources else {},
            {"schema": sources["install"]} if "install" in sources else {},
            environ={"LOGKIT_SCHEMA": sources["env"]} if "env" in sources else {},
            command_line={"schema": sources["cli"]} if "cli" in sources else None,
        ).schema

    assert schema() == "default"
    assert schema(env="ecs") == "ecs"
    assert schema(env="ecs", setting="datadog") == "datadog"
    assert schema(env="ecs", setting="datadog", install="default") == "default"
    assert schema(env="ecs", setting="datadog", install="default", cli="ECS") == "ecs"


def test_a_bad_command_line_value_names_the_flag() -> None:
    with pytest.raises(ValueError, match=r"--logkit-format='xml' is not one of"):
        Options.resolve({}, {}, environ={}, command_line={"format": "xml"})


def test_unknown_variables_are_listed_with_a_near_miss() -> None:
    environ = {"LOGKIT_SHEMA": "ecs", "LOGKIT_SCHEMA": "ecs", "LOGKIT_BROKER": "x", "PATH": "/"}
    unknown = _config.unknown_variables(environ)
    assert unknown == ["LOGKIT_BROKER", "LOGKIT_SHEMA"]
    message = _config.unknown_variables_message(unknown)
    assert message.startswith(
        "unknown celery-logkit environment variable(s) 'LOGKIT_BROKER', "
        "'LOGKIT_SHEMA' (did you mean 'LOGKIT_SCHEMA'?) ignored; variables are LOGKIT_BANNER, "
    )
    assert from_env(shema="ecs").schema == "default", "a warning, not an error"


def test_the_fast_paths_switch_is_a_known_variable() -> None:
    assert _config.unknown_variables({"LOGKIT_STDLIB_FAST_PATHS": "0"}) == []


# -- settings given as text, and Django's namespace -------------------------------------


def test_string_settings_follow_the_variables_rules() -> None:
    options = Options.resolve(
        {
            "logkit_banner": "yes",
            "logkit_max_line_bytes": "20000",
            "logkit_event_levels": "task_started=DEBUG",
            "logkit_redact_keys": "none",
            "logkit_schema": "ECS",
            "logkit_service": "",
        },
        {},
        environ={"LOGKIT_SERVICE": "billing"},
    )
    assert options.banner is True
    assert options.max_line_bytes == 20000
    assert options.level("task_started") == logging.DEBUG
    assert options.redact_keys == ()
    assert options.schema == "ecs"
    assert options.service == "billing", "a blank setting is not set"


def test_a_bad_setting_names_the_setting() -> None:
    with pytest.raises(ValueError, match=r"logkit_banner='sure' is not a boolean"):
        Options.resolve({"logkit_banner": "sure"}, {}, environ={})
    with pytest.raises(TypeError, match=r"logkit_banner=1 must be True or False"):
        Options.resolve({"logkit_banner": 1}, {}, environ={})


def django_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str) -> Celery:
    module = f"logkit_settings_{abs(hash(settings))}"
    (tmp_path / f"{module}.py").write_text(settings)
    monkeypatch.syspath_prepend(str(tmp_path))
    app = Celery("django", set_as_current=False)
    app.config_from_object(module, namespace="CELERY")
    return app


def test_django_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = django_app(
        tmp_path,
        monkeypatch,
        'CELERY_LOGKIT_SCHEMA = "ecs"\nCELERY_LOGKIT_LOG_ARGS = "true"\n'
        'LOGKIT_UNRELATED = 1\nCELERY_BROKER_URL = "memory://"\n',
    )
    options = Options.resolve(app.conf, {}, environ={})
    assert (options.schema, options.log_args) == ("ecs", True)


def test_django_namespace_unknown_and_bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = django_app(tmp_path, monkeypatch, 'CELERY_LOGKIT_SHEMA = "ecs"\n')
    with pytest.raises(
        ValueError,
        match=r"unknown celery-logkit setting\(s\) 'CELERY_LOGKIT_SHEMA' \(did you mean "
        r"'CELERY_LOGKIT_SCHEMA'\?\); settings are CELERY_LOGKIT_BANNER, ",
    ):
        Options.resolve(app.conf, {}, environ={})
    app = django_app(tmp_path, monkeypatch, 'CELERY_LOGKIT_FORMAT = "xml"\n')
    with pytest.raises(ValueError, match=r"CELERY_LOGKIT_FORMAT='xml' is not one of"):
        Options.resolve(app.conf, {}, environ={})


def test_two_keys_for_one_option_must_agree() -> None:
    assert Options.resolve({"logkit_schema": "ecs", "LOGKIT_SCHEMA": "ecs"}, {}, {}).schema == "ecs"
    with pytest.raises(ValueError, match=r"conflicting celery-logkit settings"):
        Options.resolve({"logkit_schema": "ecs", "LOGKIT_SCHEMA": "datadog"}, {}, environ={})


# -- the reference -----------------------------------------------------------------------


def reference_rows() -> dict[str, list[str]]:
    text = (ROOT / "docs" / "configuration.md").read_text()
    table = text.split("<!-- options -->")[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {row.split("`")[1]: [cell.strip() for cell in row.split("|")[1:-1]] for row in rows}


def test_the_reference_lists_exactly_the_options() -> None:
    rows = reference_rows()
    assert list(rows) == Options.names()
    for name, cells in rows.items():
        assert cells[1] == f"`{name}=`", cells
        assert cells[2] == f"`logkit_{name}`", cells
        assert cells[3] == f"`CELERY_LOGKIT_{name.upper()}`", cells
        assert cells[4] == f"`LOGKIT_{name.upper()}`", cells
        flag = _config.COMMAND_LINE.get(name)
        assert cells[5] == (f"`{flag}`" if flag else ""), cells


def test_the_reference_gives_each_default() -> None:
    shown = {name: cells[6] for name, cells in reference_rows().items()}
    for name in Options.names():
        default = getattr(Options(), name)
        if name == "redact_keys":
            expected = "`celery_logkit.DEFAULT_REDACT_KEYS`"
            assert default == celery_logkit.DEFAULT_REDACT_KEYS
        elif isinstance(default, bool | int):
            expected = f"`{default}`"
        elif isinstance(default, str):
            expected = f'`"{default}"`'
        elif isinstance(default, tuple):
            expected = "`" + json.dumps(list(default)) + "`"
        else:  # None (found elsewhere) or event levels (each event's own): said in words
            assert not default, name
            continue
        assert shown[name] == expected, (name, shown[name], expected)


@pytest.mark.parametrize("not_set", [None, "", "  ", [""], ("", " ")])
def test_not_set_means_the_default_in_every_source(not_set: object) -> None:
    given = {"redact_keys": not_set, "propagate": not_set}
    assert Options.resolve({}, given, environ={}) == Options()
    assert Options.from_kwargs(given) == Options()
    assert Options(redact_keys=not_set) == Options()  # type: ignore[arg-type]
    setting = {"logkit_redact_keys": ["pin"]}
    assert Options.resolve(setting, given, environ={}).redact_keys == ("pin",), (
        "the next source down decides"
    )


def test_only_an_empty_list_turns_redaction_off() -> None:
    assert Options.resolve({}, {"redact_keys": []}, environ={}).redact_keys == ()
    assert Options.resolve({}, {"redact_keys": ()}, environ={}).redact_keys == ()
    assert Options(redact_keys=()).redact_keys == ()


def test_an_empty_variable_split_is_not_set_in_a_setting_either() -> None:
    settings = {"logkit_redact_keys": [""], "logkit_propagate": [" "]}
    options = Options.resolve(settings, {}, environ={"LOGKIT_REDACT_KEYS": "pin"})
    assert options.redact_keys == ("pin",)
    assert options.propagate == Options().propagate


def test_blank_names_in_a_list_are_dropped() -> None:
    given = {"redact_keys": ["pin", "", " otp "]}
    assert Options.resolve({}, given, environ={}).redact_keys == ("pin", "otp")


@pytest.mark.parametrize(
    ("text", "names"), [("none", ()), (" None ", ()), ("pin, otp", ("pin", "otp"))]
)
def test_text_given_to_install_is_read_as_the_variable_is(
    text: str, names: tuple[str, ...]
) -> None:
    assert Options.resolve({}, {"redact_keys": text}, environ={}).redact_keys == names
    assert Options(redact_keys=text).redact_keys == names  # type: ignore[arg-type]
    assert from_env(redact_keys=text).redact_keys == names


def test_an_iterator_of_names_is_refused() -> None:
    """The options are read again at each worker's start: an iterator would be empty."""
    with pytest.raises(TypeError, match=r"redact_keys=<generator .* must be a list or tuple"):
        Options.resolve({}, {"redact_keys": (name for name in ["pin"])}, environ={})
