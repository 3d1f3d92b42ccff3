"""Message templates: what the server shows, and what creating one sends."""

from __future__ import annotations

from typing import Any

import msgspec

from ivowaba import _limits
from ivowaba.types._base import Inbound, Outbound

__all__ = [
    "Template",
    "TemplateBodySpec",
    "TemplateButtonSpec",
    "TemplateCategory",
    "TemplateHeaderSpec",
    "TemplateLanguage",
    "TemplateOtpSpec",
    "TemplateProblem",
]


def count_placeholders(text: str | None) -> int:
    """How many distinct ``{{n}}`` placeholders ``text`` holds."""
    return len(set(_limits.template_parameters(text)))


class TemplateButtonInfo(Inbound):
    type: str
    text: str | None = None
    url: str | None = None
    phone_number: str | None = None


class TemplateComponentInfo(Inbound):
    """A component of a stored template (``type`` is ``HEADER``, ``BODY``, ``FOOTER`` or
    ``BUTTONS``)."""

    type: str
    format: str | None = None
    text: str | None = None
    buttons: list[TemplateButtonInfo] | None = None
    parameters: Any = None
    examples: Any = None


class Template(Inbound):
    """A message template, as "Show template" answers it.

    ``status`` follows WhatsApp's review: ``"submitted"`` (or ``"pending"``) while it waits,
    then ``"approved"`` or ``"rejected"``; ``rejected_reason`` says why, when the gateway
    does.
    """

    id: str
    label: str | None = None
    template_name: str | None = None
    template_id: int | str | None = None
    status: str | None = None
    category_id: str | None = None
    language_id: str | None = None
    components: list[TemplateComponentInfo] = msgspec.field(default_factory=list)
    histories: list[Any] = msgspec.field(default_factory=list)
    rejected_reason: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def component(self, type: str) -> TemplateComponentInfo | None:
        """The first component of ``type`` (case-insensitive), or ``None``."""
        wanted = type.upper()
        return next((c for c in self.components if c.type.upper() == wanted), None)

    def parameter_counts(self) -> dict[str, int]:
        """How many parameters a send must give: ``header``, ``body`` and ``url_buttons``
        (one per dynamic URL button)."""
        header = self.component("HEADER")
        if header is None:
            header_count = 0
        elif (header.format or "TEXT").upper() == "TEXT":
            header_count = count_placeholders(header.text)
        else:
            header_count = 1  # a media header always takes its media as the parameter
        body = self.component("BODY")
        buttons = self.component("BUTTONS")
        url_buttons = sum(
            1
            for b in (buttons.buttons or [] if buttons else [])
            if b.type.upper() == "URL" and count_placeholders(b.url)
        )
        return {
            "header": header_count,
            "body": count_placeholders(body.text if body else None),
            "url_buttons": url_buttons,
        }


class TemplateCategory(Inbound):
    id: str
    name: str | None = None


class TemplateLanguage(Inbound):
    id: str
    name: str | None = None


class TemplateHeaderSpec(Outbound):
    """The header of a template being created: ``format`` is TEXT, IMAGE, VIDEO or DOCUMENT."""

    format: str
    text: str | None = None
    examples: list[str] | None = None


class TemplateBodySpec(Outbound):
    text: str
    examples: list[str] | None = None


class TemplateButtonSpec(Outbound):
    """A button of a template being created: ``URL`` (static, or ``url_type="dynamic"`` with
    a ``{{1}}``), ``PHONE_NUMBER`` or ``QUICK_REPLY``."""

    type: str
    text: str
    url: str | None = None
    url_type: str | None = None
    examples: list[str] | None = None
    country_code: str | None = None
    phone_number: str | None = None


class TemplateOtpSpec(Outbound):
    otp_type: str
    text: str | None = None


class TemplateSpec(Outbound):
    """The body of "Create template" and "Update template"."""

    label: str
    category_id: str
    language_id: str
    is_propose: bool
    header: Any = None
    body: Any = None
    footer: str | None = None
    buttons: list[Any] | None = None
    otp: list[Any] | None = None
    add_security_recommendation: bool | None = None
    code_expiration_minutes: int | None = None


class TemplateProblem(msgspec.Struct, frozen=True, kw_only=True):
    """One rule a template definition breaks (``templates.lint``, and the ``problems`` of the
    ``ValidationError`` that ``templates.create`` / ``update`` raise).

    - ``component``: ``"template"`` (label, category, language, ...), ``"header"``,
      ``"body"``, ``"footer"``, ``"buttons"`` or ``"otp"``.
    - ``field``: where, as the request body has it: ``"body.text"``, ``"buttons[1].text"``.
    - ``rule``: the rule broken, e.g. ``"must not start with a parameter"``.
    """

    component: str
    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"
