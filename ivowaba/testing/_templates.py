"""Message templates: the stored object built from a create/update body, WhatsApp's review of
a proposed one, and listing pages."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Final

from ivowaba import _limits, _template_rules

#: WhatsApp's ``rejected_reason`` for a template refused for its form.
INVALID_FORMAT: Final = "INVALID_FORMAT"


def now_iso() -> str:
    """The current time as the reference writes it: ``2021-05-10T05:13:23.843000Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_template_id() -> str:
    """A 24-hex-digit id, like the reference's ``60243665e4058d3b4a377bd2``."""
    return secrets.token_hex(12)


def _parameters(text: str | None) -> dict[str, None] | list[Any]:
    # The gateway is a PHP app: an empty map comes out as an empty JSON array.
    numbers = sorted(set(_limits.template_parameters(text)))
    return {f"{{{{{n}}}}}": None for n in numbers} if numbers else []


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
        "template_name": _limits.template_name(spec["label"]) or "template",
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


class Reviews:
    """WhatsApp's review of the templates proposed to it, on the emulator's clock.

    A proposed template (``is_propose``, or "Propose template") is ``submitted`` until its
    review is due, then ``approved``, or ``rejected`` with a ``rejected_reason`` when its last
    definition breaks one of WhatsApp's rules: the rules ``templates.lint`` checks
    (``ivowaba._template_rules``), so the emulator approves what the client lets through.
    A verdict is given when the templates are next read (``settle``): nothing waits.
    """

    def __init__(self) -> None:
        #: Each template's last definition (the body of its create or update).
        self._definitions: dict[str, Mapping[str, Any]] = {}
        #: Templates under review: when the verdict is due, and the reason to reject (or None).
        self._due: dict[str, tuple[float, str | None]] = {}

    def defined(self, template: dict[str, Any], spec: Mapping[str, Any], due: float) -> None:
        """``template`` was created or updated from ``spec``; reviewed (verdict at ``due``)
        when it is submitted."""
        self._definitions[template["id"]] = spec
        self._due.pop(template["id"], None)
        template.pop("rejected_reason", None)
        if template["status"] == "submitted":
            self.submitted(template, due)

    def submitted(self, template: dict[str, Any], due: float) -> None:
        """``template`` is proposed: its verdict is due at ``due`` (a template the emulator
        did not create, seeded or added, has no rule to break)."""
        template.pop("rejected_reason", None)
        spec = self._definitions.get(template["id"])
        found = _template_rules.problems(spec) if spec is not None else []
        reason = "; ".join(str(problem) for problem in found)
        self._due[template["id"]] = (due, f"{INVALID_FORMAT}: {reason}" if found else None)

    def settle(self, templates: Mapping[str, dict[str, Any]], now: float) -> None:
        """Give every verdict due by ``now`` to the templates under review."""
        for template_id, (due, reason) in list(self._due.items()):
            if due > now:
                continue
            del self._due[template_id]
            template = templates.get(template_id)
            if template is None or template["status"] != "submitted":
                continue
            if reason is None:
                template.update(status=_limits.TEMPLATE_APPROVED, updated_at=now_iso())
            else:
                template.update(
                    status=_limits.TEMPLATE_REJECTED, rejected_reason=reason, updated_at=now_iso()
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
