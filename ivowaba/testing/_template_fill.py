"""What a customer sees of a template send: the stored template with the send's parameters
filled in (header, body, footer, buttons), for the web phone to show.

Everything returned is plain data (strings, numbers, dicts); the page only displays it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

_PLACEHOLDER: Final = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_MEDIA: Final = ("image", "document", "video")


def parameter_text(parameter: Mapping[str, Any]) -> str:
    """The text a parameter puts in place of its ``{{n}}``."""
    kind = parameter.get("type")
    value = parameter.get(kind) if isinstance(kind, str) else None
    if isinstance(value, str):  # text, payload, coupon_code
        return value
    if isinstance(value, Mapping):
        fallback = value.get("fallback_value")
        if isinstance(fallback, str):  # currency, date_time
            return fallback
        for key in ("link", "id", "name", "address"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return f"[{kind}]"


def fill(text: str, parameters: Sequence[Mapping[str, Any]]) -> str:
    """``text`` with each ``{{n}}`` replaced by the n-th parameter's text; a placeholder
    with no parameter stays as it is."""

    def one(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        if 0 <= index < len(parameters):
            return parameter_text(parameters[index])
        return match.group(0)

    return _PLACEHOLDER.sub(one, text)


def _sent_parameters(components: Sequence[Any]) -> tuple[list[Any], list[Any], dict[int, Any]]:
    """The send's header parameters, body parameters, and button parameters by index."""
    header: list[Any] = []
    body: list[Any] = []
    buttons: dict[int, list[Any]] = {}
    for component in components:
        if not isinstance(component, Mapping):
            continue
        parameters = [p for p in component.get("parameters") or () if isinstance(p, Mapping)]
        kind = component.get("type")
        if kind == "header":
            header = parameters
        elif kind == "body":
            body = parameters
        elif kind == "button" and str(component.get("index", "")).isdigit():
            buttons[int(component["index"])] = parameters
    return header, body, buttons


def _header(component: Mapping[str, Any], parameters: list[Any]) -> dict[str, Any]:
    form = str(component.get("format", "TEXT")).upper()
    if form == "TEXT":
        return {"format": "text", "text": fill(str(component.get("text", "")), parameters)}
    view: dict[str, Any] = {"format": form.lower()}
    if parameters:
        kind = parameters[0].get("type")
        value = parameters[0].get(kind)
        if kind in _MEDIA and isinstance(value, Mapping):
            view.update({k: value[k] for k in ("link", "id", "filename") if k in value})
        elif kind == "location" and isinstance(value, Mapping):
            view.update(value)
    return view


def _button(button: Mapping[str, Any], parameters: list[Any]) -> dict[str, Any]:
    kind = str(button.get("type", "")).upper()
    view: dict[str, Any] = {"type": kind.lower(), "text": str(button.get("text", ""))}
    if kind == "URL":
        view["url"] = fill(str(button.get("url", "")), parameters)
    elif kind == "PHONE_NUMBER":
        view["phone_number"] = str(button.get("phone_number", ""))
    elif kind == "QUICK_REPLY":
        view["payload"] = parameter_text(parameters[0]) if parameters else view["text"]
    elif kind in ("OTP", "COPY_CODE") and parameters:
        view["code"] = parameter_text(parameters[0])
    return view


def template_view(
    template: Mapping[str, Any] | None, template_id: str, components: Sequence[Any]
) -> dict[str, Any]:
    """The customer's view of a send of ``template`` (``None``: not in the emulator) with
    the send's ``components``: ``name``, ``language``, ``header``, ``body``, ``footer`` and
    ``buttons``, each present only when the template has it; ``missing`` when unknown."""
    header_parameters, body_parameters, button_parameters = _sent_parameters(components)
    if template is None:
        sent = [parameter_text(p) for p in (*header_parameters, *body_parameters)]
        return {"missing": True, "template_id": template_id, "parameters": sent}
    view: dict[str, Any] = {
        "template_id": template_id,
        "name": template.get("template_name") or template.get("label"),
        "language": template.get("language_id"),
    }
    for component in template.get("components") or ():
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER":
            view["header"] = _header(component, header_parameters)
        elif kind == "BODY":
            view["body"] = fill(str(component.get("text", "")), body_parameters)
        elif kind == "FOOTER":
            view["footer"] = str(component.get("text", ""))
        elif kind == "BUTTONS":
            view["buttons"] = [
                _button(button, button_parameters.get(index, []))
                for index, button in enumerate(component.get("buttons") or ())
            ]
    return view
