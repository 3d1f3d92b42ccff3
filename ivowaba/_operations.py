"""Every operation of the reference, written once: its name, method, path, whether the sandbox
has it, and the shapes of its request and its answer.

The resources send through these entries and decode their answers by them, the emulator routes
them, the tests check them.
Adding an operation is one entry here plus its resource method (and the emulator's handler).
This module imports nothing of the client, the resources or the emulator.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter
from types import MappingProxyType
from typing import Annotated, Any, Final, Generic, TypeVar

import msgspec

from ivowaba.types._base import Inbound
from ivowaba.types.contacts import ContactCheck
from ivowaba.types.messages import (
    ContactsMessage,
    FlowMessage,
    ListMessage,
    LocationMessage,
    MediaMessage,
    ProductListMessage,
    ProductMessage,
    ReplyButtonsMessage,
    TemplateMessage,
    TextMessage,
)
from ivowaba.types.resources import BusinessProfile, Country, Pagination, SentMessage, Webhook
from ivowaba.types.templates import Template, TemplateCategory, TemplateLanguage, TemplateSpec

#: Where every operation's path starts.
API_PREFIX: Final = "/api/v1"
#: Put before the path of an operation the sandbox has, by a client in sandbox mode.
SANDBOX_PREFIX: Final = "/sandbox"

_PLACEHOLDER: Final = re.compile(r"\{([^}]+)\}")


# -- shapes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Json:
    """A JSON body whose ``type`` (anything msgspec decodes) stands under the dotted keys
    ``at`` (``""``: the body itself). ``Json(list[Country], at="data")`` is
    ``{"data": [<Country>, ...]}``.

    ``bare``: the value may also come alone, without the keys of ``at`` around it (an
    answer the reference leaves undocumented). ``empty``: an empty body (or only white space)
    is an answer too, decoded as ``None``.
    """

    type: Any
    at: str = ""
    bare: bool = False
    empty: bool = False
    _decoder: Callable[[bytes], Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def decoder(self) -> Callable[[bytes], Any]:
        """The function ``decode`` calls: built on first use, then kept (and shared by equal
        shapes)."""
        decoder = self._decoder
        if decoder is None:
            decoder = _envelope_decoder(self.type, self.at, self.bare, self.empty)
            object.__setattr__(self, "_decoder", decoder)
        return decoder

    def decode(self, body: bytes) -> Any:
        """The value at ``at``, decoded and checked against ``type``."""
        return self.decoder(body)


@dataclass(frozen=True, slots=True)
class Form:
    """A ``multipart/form-data`` body carrying one file, in the field ``file_field``."""

    file_field: str


@dataclass(frozen=True, slots=True)
class File:
    """A file as the body: its bytes, its ``Content-Type``, maybe a ``Content-Disposition``."""


#: The request or answer shapes of an operation. ``None``: no body is sent, or nothing of the
#: answer is used beyond its 2xx status.
Request = Json | Form | None
Answer = Json | File | None

FILE: Final = File()


@cache
def _envelope_decoder(type_: Any, at: str, bare: bool, empty: bool) -> Callable[[bytes], Any]:
    """A decoder of ``type_`` wrapped in one object per dotted key of ``at`` (or, when
    ``bare``, not wrapped at all); when ``empty``, of an empty body too (``None``)."""
    keys = at.split(".") if at else []
    envelope = type_
    for key in reversed(keys):
        envelope = msgspec.defstruct(f"At_{key}", [(key, envelope)])
    decode: Callable[[bytes], Any] = msgspec.json.Decoder(
        type_ | envelope if bare and keys else envelope
    ).decode
    unwrap: Callable[[bytes], Any] = decode
    get = attrgetter(at)
    if keys and bare:

        def unwrap(body: bytes) -> Any:
            value = decode(body)
            return get(value) if isinstance(value, envelope) else value

    elif keys:

        def unwrap(body: bytes) -> Any:
            return get(decode(body))

    if not empty:
        return unwrap

    def or_none(body: bytes) -> Any:
        return unwrap(body) if body.strip() else None

    return or_none


T = TypeVar("T")


class PageMeta(Inbound):
    """``meta`` of a page of a listing: the server's ``pagination``."""

    pagination: Pagination = msgspec.field(default_factory=Pagination)


class Paged(Inbound, Generic[T]):
    """One page of a listing as the reference shows it ("Fetch My Templates"):
    ``{"data": [...], "meta": {"pagination": {...}}}``."""

    data: list[T]
    meta: PageMeta = msgspec.field(default_factory=PageMeta)


# -- the operation -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the reference.

    - ``name``: as the SDK calls it, ``"messages.send_text"``.
    - ``method``, ``path_template``: the route as the reference writes it,
      ``/api/v1/media/{media_id}``.
    - ``sandbox``: whether ``/sandbox`` serves it too.
    - ``request``, ``answer``: the shapes of the body sent and of the 2xx answer used.

    Worked out from those: ``path``, the template with ``{}`` placeholders (filled in order
    by the client); ``params``, the placeholders' names; ``endpoint``, the last fixed word of
    the path (``"send-text-message"``), by which a test may name the operation too; and
    ``decoder``, the decoder of a JSON answer, by which the resources read it.
    """

    name: str
    method: str
    path_template: str
    sandbox: bool = False
    request: Request = None
    answer: Answer = None
    path: str = field(init=False)
    params: tuple[str, ...] = field(init=False)
    endpoint: str = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "path", _PLACEHOLDER.sub("{}", self.path_template))
        set_(self, "params", tuple(_PLACEHOLDER.findall(self.path_template)))
        fixed = [part for part in self.path_template.split("/") if part and "{" not in part]
        set_(self, "endpoint", fixed[-1])

    @property
    def decoder(self) -> Callable[[bytes], Any]:
        """The decoder of a 2xx answer: what ``answer.decode`` calls. ``TypeError`` when the
        answer is not JSON (a file, or nothing used)."""
        if not isinstance(self.answer, Json):
            raise TypeError(f"{self.name}: the answer is not JSON")
        return self.answer.decoder

    def route(self, sandbox: bool = False) -> str:
        """Its path template as a client of the sandbox (``sandbox``) or not calls it."""
        return SANDBOX_PREFIX + self.path_template if sandbox else self.path_template

    @property
    def paths(self) -> tuple[str, ...]:
        """The path templates that serve it: its own, and the sandbox's when it has one."""
        if self.sandbox:
            return (self.route(), self.route(sandbox=True))
        return (self.route(),)


# -- the table -----------------------------------------------------------------------------

_TEMPLATES: Final = API_PREFIX + "/message-templates"
_SETTINGS: Final = API_PREFIX + "/settings"
_PROFILE: Final = "settings.profile"


#: A send's answer: the accepted message, first of a list that is never empty.
_SENT: Final = Json(Annotated[list[SentMessage], msgspec.Meta(min_length=1)], at="messages")


def _send(name: str, endpoint: str, request: type[Any], *, sandbox: bool) -> Operation:
    return Operation(
        f"messages.{name}",
        "POST",
        f"{API_PREFIX}/messages/{endpoint}",
        sandbox=sandbox,
        request=Json(request),
        answer=_SENT,
    )


# Fixed paths come before the parameterised paths they would match (routers try them in order).
_TABLE: Final = (
    Operation(
        "contacts.check",
        "POST",
        API_PREFIX + "/contacts/check",
        request=Json(list[str], at="contacts"),
        answer=Json(list[ContactCheck], at="contacts"),
    ),
    Operation(
        "countries.list", "GET", API_PREFIX + "/countries", answer=Json(list[Country], "data")
    ),
    Operation("media.download", "GET", API_PREFIX + "/media/{media_id}", sandbox=True, answer=FILE),
    Operation("templates.list", "GET", _TEMPLATES, answer=Json(Paged[Template])),
    Operation(
        "templates.create", "POST", _TEMPLATES, request=Json(TemplateSpec), answer=Json(Template)
    ),
    Operation(
        "templates.list_all",
        "GET",
        _TEMPLATES + "/all-templates",
        answer=Json(Paged[Template]),
    ),
    Operation("templates.get", "GET", _TEMPLATES + "/{template_id}", answer=Json(Template)),
    Operation(
        "templates.update",
        "PUT",
        _TEMPLATES + "/{template_id}",
        request=Json(TemplateSpec),
        answer=Json(Template),
    ),
    Operation("templates.propose", "POST", _TEMPLATES + "/{template_id}/propose"),
    Operation(
        "templates.categories",
        "GET",
        API_PREFIX + "/template-categories",
        answer=Json(list[TemplateCategory], at="data"),
    ),
    Operation(
        "templates.languages",
        "GET",
        API_PREFIX + "/template-languages",
        answer=Json(list[TemplateLanguage], at="data"),
    ),
    _send("send_contacts", "send-contact-message", ContactsMessage, sandbox=True),
    _send("send_location", "send-location-message", LocationMessage, sandbox=True),
    _send("send_media", "send-media-message", MediaMessage, sandbox=True),
    _send("send_template", "send-template-message", TemplateMessage, sandbox=True),
    _send("send_text", "send-text-message", TextMessage, sandbox=True),
    _send("send_reply_buttons", "send-reply-button-message", ReplyButtonsMessage, sandbox=True),
    _send("send_list", "send-list-message", ListMessage, sandbox=True),
    _send("send_product", "send-single-product-message", ProductMessage, sandbox=False),
    _send("send_product_list", "send-multi-product-message", ProductListMessage, sandbox=False),
    _send("send_flow", "send-flow-message", FlowMessage, sandbox=False),
    Operation("messages.mark_read", "PUT", API_PREFIX + "/messages/{message_id}/read"),
    Operation(
        "settings.get_business_profile",
        "GET",
        _SETTINGS + "/business-profile",
        answer=Json(BusinessProfile, at="settings.business.profile"),
    ),
    Operation(
        "settings.update_business_profile",
        "POST",
        _SETTINGS + "/business-profile",
        request=Json(BusinessProfile),
    ),
    Operation(
        "settings.get_about",
        "GET",
        _SETTINGS + "/profiles/about",
        answer=Json(str, at=_PROFILE + ".about.text"),
    ),
    Operation(
        "settings.update_about",
        "PATCH",
        _SETTINGS + "/profiles/about",
        request=Json(str, at="text"),
    ),
    # The SDK asks for the photo's link (?format=link); without it the answer is the file.
    Operation(
        "settings.get_photo",
        "GET",
        _SETTINGS + "/profiles/photo",
        answer=Json(str, at=_PROFILE + ".photo.link"),
    ),
    Operation(
        "settings.update_photo", "POST", _SETTINGS + "/profiles/photo", request=Form("photo")
    ),
    Operation("webhooks.list", "GET", API_PREFIX + "/webhooks", answer=Json(list[Webhook], "data")),
    # The reference shows no answer: the notifications, bare or under "data" (null or an empty
    # body: none).
    Operation(
        "webhooks.pull_pending",
        "GET",
        API_PREFIX + "/webhooks/{webhook_id}/pull-pending-notifications",
        answer=Json(list[dict[str, Any]] | None, at="data", bare=True, empty=True),
    ),
)

#: Every operation by its name, in routing order.
OPERATIONS: Final[Mapping[str, Operation]] = MappingProxyType({op.name: op for op in _TABLE})

#: The send operation of each kind of message, by the message's struct.
SENDS: Final[Mapping[type[Any], Operation]] = MappingProxyType(
    {
        op.request.type: op
        for op in _TABLE
        if op.name.startswith("messages.send_") and isinstance(op.request, Json)
    }
)
