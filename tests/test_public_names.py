"""Names as users see them: public classes say ``ivowaba`` from import time, each list of
public names is written once, and operations show their own signature and docstring."""

from __future__ import annotations

import inspect
import os
import pydoc
import subprocess
import sys
from collections import Counter

import msgspec
import pytest

import ivowaba
import ivowaba.webhooks
from ivowaba import _errors
from ivowaba.resources.messages import Messages
from ivowaba.resources.templates import Templates


def test_every_public_name_resolves_and_is_listed_once() -> None:
    names = ivowaba.__all__
    assert [name for name, n in Counter(names).items() if n > 1] == []
    for name in names:
        assert getattr(ivowaba, name) is not None
    assert sorted(names) == dir(ivowaba)
    assert set(_errors.__all__) <= set(names)
    hooks = ivowaba.webhooks.__all__
    assert [name for name, n in Counter(hooks).items() if n > 1] == []
    for name in hooks:
        assert getattr(ivowaba.webhooks, name) is not None


def test_public_classes_say_ivowaba_as_their_module() -> None:
    for name in ivowaba.__all__:
        value = getattr(ivowaba, name)
        if isinstance(value, type) and not issubclass(value, msgspec.Struct):
            assert value.__module__ == "ivowaba", name
    assert ivowaba.message_from_dict.__module__ == "ivowaba"


def test_an_error_says_ivowaba_before_its_name_was_ever_read() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVOWABA_")}
    result = subprocess.run(
        [sys.executable, "-c", "import ivowaba; ivowaba.AsyncClient()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("ivowaba.ConfigError: no API key")


@pytest.mark.parametrize(
    ("resource", "name"), [(Messages, "send_text"), (Messages, "send_many"), (Templates, "iter")]
)
async def test_operations_show_their_own_signature_and_docstring(resource: type, name: str) -> None:
    declared = inspect.signature(inspect.unwrap(getattr(resource, name)))
    expected = list(declared.parameters)[1:]  # without self
    async with ivowaba.AsyncClient(api_key="k", base_url="http://127.0.0.1:9") as aclient:
        with ivowaba.Client(api_key="k", base_url="http://127.0.0.1:9") as client:
            group = resource.__name__.lower()
            for owner in (aclient, client):
                operation = getattr(getattr(owner, group), name)
                signature = inspect.signature(operation)
                assert list(signature.parameters) == expected
                assert operation.__name__ == name
                assert operation.__module__ == resource.__module__
                assert operation.__doc__ == getattr(resource, name).__doc__
                shown = pydoc.render_doc(operation, renderer=pydoc.plaintext)
                assert "partial" not in shown
                assert f"{name}(" in shown
                first_line = (operation.__doc__ or "").strip().splitlines()[0]
                assert first_line in shown
    if name == "iter":  # the blocking face returns a plain iterator
        assert "Iterator" in str(inspect.signature(client.templates.iter).return_annotation)
