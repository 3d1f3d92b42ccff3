"""Does a template send give each part as many parameters as the template has placeholders?

The most common production failure of WhatsApp senders is a template sent with the wrong
number of parameters: WhatsApp accepts the request and the message fails later (error 132000).
"""

from __future__ import annotations

from collections.abc import Sequence

from ivowaba._errors import ValidationError
from ivowaba.types.messages import TemplateComponent
from ivowaba.types.templates import Template


def given_counts(components: Sequence[TemplateComponent]) -> dict[str, int]:
    """How many parameters a send gives the header and body, and how many URL buttons."""
    counts = {"header": 0, "body": 0, "url_buttons": 0}
    for component in components:
        n = len(component.parameters or ())
        if component.type in ("header", "body"):
            counts[component.type] += n
        elif component.type == "button" and (component.sub_type or "").lower() == "url" and n:
            counts["url_buttons"] += 1
    return counts


_LABELS = {
    "header": "header parameters",
    "body": "body parameters",
    "url_buttons": "dynamic URL button parameters",
}


def check_parameters(template: Template, components: Sequence[TemplateComponent]) -> None:
    """Raise ``ValidationError`` when ``components`` do not fit ``template``'s placeholders."""
    expected = template.parameter_counts()
    given = given_counts(components)
    name = template.template_name or template.id
    for part, label in _LABELS.items():
        if expected[part] != given[part]:
            raise ValidationError(
                "buttons" if part == "url_buttons" else part,
                f"template {name!r} takes {expected[part]} {label}, got {given[part]}",
            )
