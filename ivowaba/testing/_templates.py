"""Message templates: the stored object built from a create/update body, and listing pages."""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def now_iso() -> str:
    """The current time as the reference writes it: ``2021-05-10T05:13:23.843000Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_template_id() -> str:
    """A 24-hex-digit id, like the reference's ``60243665e4058d3b4a377bd2``."""
    return secrets.token_hex(12)


def _parameters(text: str | None) -> dict[str, None] | list[Any]:
    # The gateway is a PHP app: an empty map comes out as an empty JSON array.
    names = sorted(set(_PLACEHOLDER.findall(text or "")), key=int)
    return {f"{{{{{n}}}}}": None for n in names} if names else []


def _component(kind: str, spec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    component: dict[str, Any] = {"type": kind, **fields}
    if "text" in spec:
        component["text"] = spec["text"]
    if "examples" in spec:
        component["examples"] = spec["examples"]
    component["parameters"] = _parameters(spec.get("text"))
    return component


def _button(spec: dict[str, Any]) -> dict[str, Any]:
    button: dict[str, Any] = {"type": spec["type"], "text": spec["text"]}
    if spec["type"] == "URL":
        button["url"] = spec["url"]
    elif spec["type"] == "PHONE_NUMBER":
        button["phone_number"] = spec.get("country_code", "") + spec["phone_number"]
    return button


def _otp_components(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """What WhatsApp makes of an authentication template: fixed texts and a code button."""
    body = "*{{1}}* is your verification code."
    if spec.get("add_security_recommendation"):
        body += " For your security, do not share this code."
    components = [_component("BODY", {"text": body})]
    minutes = spec.get("code_expiration_minutes")
    if minutes is not None:
        components.append(
            {"type": "FOOTER", "text": f"This code expires in {minutes} minutes.", "parameters": []}
        )
    buttons = [
        {"type": "OTP", "otp_type": otp["otp_type"], "text": otp.get("text", "Copy code")}
        for otp in spec.get("otp", [])
    ]
    components.append({"type": "BUTTONS", "buttons": buttons})
    return components


def components(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``components`` of a template, as "Show template" lists them, from a create body."""
    if spec["category_id"] == "AUTHENTICATION" and spec.get("otp"):
        return _otp_components(spec)
    result = []
    header = spec.get("header")
    if header:
        result.append(_component("HEADER", header, format=header["format"]))
    if spec.get("body"):
        result.append(_component("BODY", spec["body"]))
    if spec.get("footer"):
        result.append({"type": "FOOTER", "text": spec["footer"], "parameters": []})
    if spec.get("buttons"):
        result.append({"type": "BUTTONS", "buttons": [_button(b) for b in spec["buttons"]]})
    return result


def status_for(spec: dict[str, Any]) -> str:
    """A template asked to be proposed waits for review; any other is a draft."""
    return "submitted" if spec.get("is_propose") else "draft"


def create(spec: dict[str, Any], template_id: str | None = None) -> dict[str, Any]:
    """A new stored template from a valid create body."""
    stamp = now_iso()
    return {
        "id": template_id or new_template_id(),
        "label": spec["label"],
        "template_name": _NOT_NAME.sub("_", spec["label"].lower()).strip("_") or "template",
        "template_id": secrets.randbelow(9 * 10**15) + 10**15,
        "status": status_for(spec),
        "category_id": spec["category_id"],
        "language_id": spec["language_id"],
        "components": components(spec),
        "histories": [],
        "created_at": stamp,
        "updated_at": stamp,
    }


def update(template: dict[str, Any], spec: dict[str, Any]) -> None:
    """Apply a valid update body to a stored template; its ids and name stay."""
    template.update(
        label=spec["label"],
        status=status_for(spec),
        category_id=spec["category_id"],
        language_id=spec["language_id"],
        components=components(spec),
        updated_at=now_iso(),
    )


def page_number(raw: str | None) -> int:
    """``?page=`` as Laravel reads it: anything that is not a positive integer is page 1."""
    try:
        number = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return max(number, 1)


def page(items: Sequence[dict[str, Any]], number: int, per_page: int, url: str) -> dict[str, Any]:
    """One page of ``items`` with the reference's ``meta.pagination``; ``url`` is the listing's
    absolute URL, for the ``previous``/``next`` links."""
    total = len(items)
    total_pages = max(math.ceil(total / per_page), 1)
    data = list(items[(number - 1) * per_page : number * per_page])
    links = {}
    if number > 1:
        links["previous"] = f"{url}?page={min(number - 1, total_pages)}"
    if number < total_pages:
        links["next"] = f"{url}?page={number + 1}"
    return {
        "data": data,
        "meta": {
            "pagination": {
                "total": total,
                "count": len(data),
                "per_page": per_page,
                "current_page": number,
                "total_pages": total_pages,
                "links": links,
            }
        },
    }
