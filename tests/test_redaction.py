"""Secrets stay out: values under secret-looking keys, at any depth, from any source."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from decimal import Decimal
from typing import Any, NamedTuple

import pytest

from celery_logkit import JsonFormatter, bound_contextvars
from celery_logkit._propagation import HEADER, inject
from celery_logkit._redaction import DEFAULT_REDACT_KEYS, REDACTED, Redactor

from .helpers import Captured


@pytest.mark.parametrize(
    "key",
    ["password", "PASSWORD", "db_passwd", "client_secret", "access_token", "X-Api-Key",
     "apikey", "Authorization", "set-cookie", "session_id", "private_key", "credit_card",
     "card_number", "cvv", "aws_credentials"],
)  # fmt: skip
def test_secret_keys(key: str) -> None:
    assert Redactor().is_secret(key)


@pytest.mark.parametrize("key", ["order_id", "amount", "user", "author", "name", "task_id"])
def test_ordinary_keys(key: str) -> None:
    assert not Redactor().is_secret(key)


def test_any_depth_and_every_source(captured: Captured) -> None:
    logger = logging.getLogger("proj.redaction")
    nested: dict[str, Any] = {"user": "bob", "auth": {"Password": "p1", "list": [{"token": "t"}]}}
    with bound_contextvars(session="s1", request_id="r"):
        logger.info("m", extra={"api_key": "k", "payload": nested}, stack_info=False)
    line = captured.one("m")
    assert line["session"] == REDACTED
    assert line["request_id"] == "r"
    assert line["api_key"] == REDACTED
    assert line["payload"] == {
        "user": "bob",
        "auth": {"Password": REDACTED, "list": [{"token": REDACTED}]},
    }
    assert nested["auth"]["Password"] == "p1", "the caller's objects are not modified"


def test_conflicting_fields_are_redacted_too(captured: Captured) -> None:
    logging.getLogger("proj.redaction").info("m", extra={"task_id": {"secret": "x"}})
    assert captured.one("m")["conflicts"] == {"task_id": {"secret": REDACTED}}


def test_configurable() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", (), None)
    record.__dict__.update({"password": "p", "ssn_number": "1", "pin": "0000"})
    off = JsonFormatter(redact_keys=[]).format(record)
    assert '"password":"p"' in off
    mine = JsonFormatter(redact_keys=[*DEFAULT_REDACT_KEYS, "pin"]).format(record)
    assert '"pin":"[REDACTED]"' in mine
    assert '"password":"[REDACTED]"' in mine


def test_cycles_are_left_to_the_serialiser() -> None:
    cyclic: dict[str, Any] = {"password": "p"}
    cyclic["self"] = cyclic
    redacted = Redactor().redact(cyclic)
    assert redacted["password"] == REDACTED
    assert redacted["self"] is cyclic


def test_propagated_secrets_do_not_travel() -> None:
    headers: dict[str, Any] = {}
    with bound_contextvars(session_token="s", request_id="r"):
        inject(headers, ["session_token", "request_id"], Redactor())
    assert headers[HEADER]["context"] == {"session_token": REDACTED, "request_id": "r"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{'user': 'bob', 'password': 'x'}", "{'user': 'bob', 'password': '[REDACTED]'}"),
        ("(1, {'token': 't'})", "(1, {'token': '[REDACTED]'})"),
        ("User(name='bob', password='hunter2')", "User(name='bob', password='[REDACTED]')"),
        (
            "{'o': <object at 0x1>, 'secret': \"s\"}",
            "{'o': <object at 0x1>, 'secret': '[REDACTED]'}",
        ),
        ("('bob', 'hunter2')", "('bob', 'hunter2')"),
    ],
)
def test_reprs_of_args_are_redacted(text: str, expected: str) -> None:
    assert Redactor().redact_repr(text) == expected


def test_reprs_are_capped() -> None:
    shown = Redactor().redact_repr(repr(list(range(5000))))
    assert len(shown) < 1100
    assert shown.endswith("chars]")


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        (
            "{'when': datetime.datetime(2024, 1, 1, 0, 0), "
            "'headers': {'Authorization': 'Bearer S1', 'Accept': 'json'}}",
            "S1",
        ),
        ("{'when': Decimal('1.5'), 'items': [{'token': 'S2'}, {'token': 'S3'}]}", "S2"),
        ("(<object at 0x1>, [({'a': {'password': 'S4'}},)])", "S4"),
        ("{'o': Thing(), ('tenant', 'api_key'): 'S5', 7: {'secret': 'S6'}}", "S5"),
        ("{'o': Thing(), 7: {'secret': 'S6'}}", "S6"),
        ("{'o': Thing(), 'note': \"it's {'token': no}\", 'cookie': 'S7'}", "S7"),
        ("{'o': Thing(), b'session': b'S8'}", "S8"),
        ("Login(user='bob', creds=Creds(password='S9, S9'))", "S9"),
        ("<Login user=bob api-key=S10>", "S10"),
        ("{'o': Thing(), 'password': ('S11', {'x': 1}), 'n': 2}", "S11"),
    ],
)
def test_reprs_that_are_not_literals_hide_every_secret(text: str, leaked: str) -> None:
    shown = Redactor().redact_repr(text)
    assert leaked not in shown, shown
    assert REDACTED in shown


def test_what_a_non_literal_repr_keeps() -> None:
    text = "{'when': datetime.datetime(2024, 1, 1, 0, 0), 'auth': {'token': 't', 'user': 'bob'}}"
    assert Redactor().redact_repr(text) == (
        "{'when': datetime.datetime(2024, 1, 1, 0, 0), 'auth': {'token': '[REDACTED]', "
        "'user': 'bob'}}"
    )


@pytest.mark.parametrize(
    "text",
    [
        "{'when': datetime.datetime(2024, 1, 1), 'password': 'S1-cut-here",
        "{'when': datetime.datetime(2024, 1, 1), 'password': 'S1-cut}here",
        "{'when': datetime.datetime(2024, 1, 1), 'password': {'a': ['S1-cut-here",
        "{'when': datetime.datetime(2024, 1, 1), 'note': 'it is cut here, token=S1",
    ],
)
def test_a_repr_cut_inside_a_secret_hides_the_rest(text: str) -> None:
    shown = Redactor().redact_repr(text)
    assert "S1" not in shown, shown


def test_values_are_redacted_before_they_become_text() -> None:
    padding = {f"k{i}": "x" * 50 for i in range(40)}
    value = (
        {"when": datetime.datetime(2024, 1, 1), **padding, "headers": {"token": "S1"}},
        [{"items": ({"password": "S2"},)}],
        _Creds("S3"),
        Decimal("1.5"),
    )
    shown = Redactor().redact_value_repr(value)
    assert not [s for s in ("S1", "S2", "S3") if s in shown], shown
    assert len(shown) < 1100
    short = Redactor().redact_value_repr({"at": datetime.datetime(2024, 1, 1), "token": "t"})
    assert short == "{'at': datetime.datetime(2024, 1, 1, 0, 0), 'token': '[REDACTED]'}"


class _Creds:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __repr__(self) -> str:
        return f"Creds(secret={self.secret!r})"


@pytest.mark.parametrize("not_set", [None, "", "  ", [""], ["", " "]])
def test_patterns_not_set_are_the_defaults(not_set: str | list[str] | None) -> None:
    assert Redactor(not_set).patterns == Redactor().patterns
    assert Redactor([]).patterns == (), "an empty list turns redaction off"
    assert Redactor("none").patterns == (), "as the word none does, as in the variable"
    assert Redactor("pin, otp").patterns == ("pin", "otp")
    assert Redactor(iter(["pin", ""])).patterns == ("pin",)


class _Login(NamedTuple):
    user: str
    api_key: str


class _Account(NamedTuple):
    login: _Login
    extra: dict[str, str]


def test_named_tuples_are_redacted_by_their_field_names(captured: Captured) -> None:
    value = {"creds": [_Account(_Login("bob", "NT-1"), {"token": "NT-2"})]}
    redacted = Redactor().redact(value)
    account = redacted["creds"][0]
    assert account == _Account(_Login("bob", REDACTED), {"token": REDACTED})
    assert type(account.login) is _Login, "the type is kept"
    shown = Redactor().redact_value_repr({"creds": _Login("bob", "NT-3")})
    assert shown == "{'creds': ('bob', '[REDACTED]')}"
    logging.getLogger("proj.redaction").info("m", extra={"login": _Login("bob", "NT-4")})
    assert captured.one("m")["login"] == "_Login(user='bob', api_key='[REDACTED]')"
    plain = _Login("bob", "nothing secret here")
    assert Redactor(["pin"]).redact(plain) is plain, "unchanged, not copied"
    assert Redactor().redact(_Stubborn("bob", "NT-5")) == ("bob", REDACTED)


class _Stubborn(_Login):
    def _replace(self, /, **changes: Any) -> _Stubborn:
        raise TypeError("immutable, really")


def test_dataclasses_in_args_are_redacted_by_their_repr() -> None:
    shown = Redactor().redact_value_repr({"creds": _Card("4111", "bob")})
    assert shown == "{'creds': _Card(card_number='[REDACTED]', holder='bob')}"


@dataclasses.dataclass
class _Card:
    card_number: str
    holder: str


def test_a_key_whose_lower_lies_does_not_poison_the_verdicts() -> None:
    class Liar(str):
        __slots__ = ()

        def lower(self) -> str:
            return "x"

    redactor = Redactor()
    assert redactor.redact({Liar("db_password"): "s"}) == {Liar("db_password"): REDACTED}
    assert redactor.redact({"db_password": "s"}) == {"db_password": REDACTED}
