"""Small behaviours the rest of the suite reached only in subprocesses, or not at all."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from types import MappingProxyType

import pytest

import ivowaba
import ivowaba.webhooks
from ivowaba import _logging
from ivowaba._config import Secret, resolve_api_key
from ivowaba.contrib import celery as contrib  # the test extra installs celery
from ivowaba.testing import Emulator
from ivowaba.webhooks import InboundText, parse

# -- the API key -------------------------------------------------------------------------------


def test_a_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret("sk-never-on-disk"))


def test_a_key_already_wrapped_is_taken_as_it_is() -> None:
    secret = Secret("sk-wrapped")
    assert resolve_api_key(secret) is secret


# -- IVOWABA_LOG, in this process ------------------------------------------------------------


@pytest.fixture
def ivowaba_logger() -> Iterator[logging.Logger]:
    """The ``ivowaba`` logger, put back as it was afterwards."""
    logger = _logging.logger
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(("value", "level"), [("info", logging.INFO), (" DEBUG ", logging.DEBUG)])
def test_ivowaba_log_attaches_one_stderr_handler_at_its_level(
    monkeypatch: pytest.MonkeyPatch, ivowaba_logger: logging.Logger, value: str, level: int
) -> None:
    monkeypatch.setenv("IVOWABA_LOG", value)
    before = len(ivowaba_logger.handlers)
    _logging.setup_from_env()
    _logging.setup_from_env()  # once: a second call adds nothing
    assert len(ivowaba_logger.handlers) == before + 1
    handler = ivowaba_logger.handlers[-1]
    assert isinstance(handler, logging.StreamHandler)
    assert ivowaba_logger.level == level


def test_an_unknown_ivowaba_log_value_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, ivowaba_logger: logging.Logger
) -> None:
    monkeypatch.setenv("IVOWABA_LOG", "verbose")
    before, level = list(ivowaba_logger.handlers), ivowaba_logger.level
    _logging.setup_from_env()
    assert (ivowaba_logger.handlers, ivowaba_logger.level) == (before, level)


# -- ivowaba.webhooks --------------------------------------------------------------------------


def test_parse_takes_any_mapping() -> None:
    body = {
        "messages": [
            {"from": "628123456789", "id": "ABGG1", "timestamp": "1", "type": "text",
             "text": {"body": "hi"}}
        ]
    }  # fmt: skip
    (message,) = parse(MappingProxyType(body)).messages
    assert isinstance(message, InboundText)
    assert message.text.body == "hi"


def test_ivowaba_webhooks_lists_its_public_names_and_no_others() -> None:
    names = dir(ivowaba.webhooks)
    assert names == sorted(ivowaba.webhooks.__all__)
    assert {"create_app", "parse", "Dispatcher"} <= set(names)  # create_app too, though lazy
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        ivowaba.webhooks.nothing_here  # noqa: B018


# -- ivowaba.contrib.celery --------------------------------------------------------------------


def test_worker_client_is_one_client_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, ivowaba_emulator: Emulator
) -> None:
    monkeypatch.setenv("IVOWABA_API_KEY", ivowaba_emulator.api_key)
    monkeypatch.setenv("IVOWABA_BASE_URL", ivowaba_emulator.base_url)
    monkeypatch.setattr(contrib, "_default", contrib._PerProcess(ivowaba.Client))
    client = contrib.worker_client()
    try:
        assert contrib.worker_client() is client
        client.messages.send_text("628123456789", "from a task")
    finally:
        contrib._default.close()
    assert ivowaba_emulator.outbox[0].body == {"wa_id": "628123456789", "text": "from a task"}
    with pytest.raises(ivowaba.ClientClosedError):
        client.messages.send_text("628123456789", "after the worker shut down")
