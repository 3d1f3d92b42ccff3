"""``client.templates``: list, show, create, update and propose message templates."""

from __future__ import annotations

import builtins
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ivowaba import _json, _limits
from ivowaba._errors import ValidationError
from ivowaba._operations import OPERATIONS, Paged
from ivowaba._operations import Operation as Endpoint
from ivowaba._resource import Mode, Resource, iterator, operation
from ivowaba._validation import text
from ivowaba.types.resources import Page
from ivowaba.types.templates import (
    Template,
    TemplateBodySpec,
    TemplateButtonSpec,
    TemplateCategory,
    TemplateHeaderSpec,
    TemplateLanguage,
    TemplateOtpSpec,
    TemplateSpec,
)

LIST = OPERATIONS["templates.list"]
LIST_ALL = OPERATIONS["templates.list_all"]
GET = OPERATIONS["templates.get"]
CREATE = OPERATIONS["templates.create"]
UPDATE = OPERATIONS["templates.update"]
PROPOSE = OPERATIONS["templates.propose"]
CATEGORIES = OPERATIONS["templates.categories"]
LANGUAGES = OPERATIONS["templates.languages"]

#: Templates remembered for ``send_template(check=True)``.
TEMPLATE_CACHE_SIZE = 256


_decode_got: Callable[[bytes], Template] = GET.decoder
_decode_created: Callable[[bytes], Template] = CREATE.decoder
_decode_updated: Callable[[bytes], Template] = UPDATE.decoder
_decode_categories: Callable[[bytes], list[TemplateCategory]] = CATEGORIES.decoder
_decode_languages: Callable[[bytes], list[TemplateLanguage]] = LANGUAGES.decoder


def _page_decoder(endpoint: Endpoint) -> Callable[[bytes], Page[Template]]:
    """The decoder of a page of ``endpoint``'s listing, as the SDK returns it."""
    decode_wire: Callable[[bytes], Paged[Template]] = endpoint.decoder

    def decode(body: bytes) -> Page[Template]:
        wire = decode_wire(body)
        return Page(data=wire.data, pagination=wire.meta.pagination)

    return decode


_PAGE_DECODERS = {endpoint.name: _page_decoder(endpoint) for endpoint in (LIST, LIST_ALL)}


def _page_query(page: int | None) -> dict[str, str] | None:
    if page is None:
        return None
    first = _limits.FIRST_PAGE
    if isinstance(page, bool) or not isinstance(page, int) or page < first:
        raise ValidationError("page", f"must be an integer >= {first}, got {page!r}")
    if page == first:
        return None  # the first page is asked for with no query at all, as the reference does
    return {"page": str(page)}


Part = Mapping[str, Any]

if TYPE_CHECKING:
    from typing_extensions import NotRequired, TypedDict, Unpack

    class TemplateFields(TypedDict):
        """The keywords of ``templates.create`` and ``templates.update``."""

        label: str
        category_id: str
        language_id: str
        is_propose: NotRequired[bool]
        header: NotRequired[TemplateHeaderSpec | Part | None]
        body: NotRequired[TemplateBodySpec | Part | None]
        footer: NotRequired[str | None]
        buttons: NotRequired[Sequence[TemplateButtonSpec | Part] | None]
        otp: NotRequired[Sequence[TemplateOtpSpec | Part] | None]
        add_security_recommendation: NotRequired[bool | None]
        code_expiration_minutes: NotRequired[int | None]


def _encode_spec(fields: Mapping[str, Any]) -> bytes:
    values = {"is_propose": False, **fields}
    for name in ("buttons", "otp"):
        if values.get(name) is not None:
            values[name] = list(values[name])
    try:
        spec = TemplateSpec(**values)
    except TypeError as exc:
        raise ValidationError("template", str(exc)) from None
    return _json.encode(spec)


class Templates(Resource[Mode]):
    """Message templates of your WhatsApp account.

    ``list``/``list_all`` return one ``Page``; ``iter``/``iter_all`` walk every page.
    """

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._cache: OrderedDict[str, Template] = OrderedDict()

    @operation
    async def list(self, page: int | None = None) -> Page[Template]:
        """One page of the templates assigned to your account
        (``GET /api/v1/message-templates``).

        - ``page``: an integer >= 1; ``None`` or ``1`` asks for the first page with no query,
          any other as ``?page=N``. ``iter`` walks every page for you.

        Returns a ``Page[Template]``: ``data`` (the templates), ``pagination`` (``total``,
        ``per_page``, ``current_page``, ``total_pages``, ...) and ``has_next``.

        Raises ``ValidationError`` (``page``) before any request; ``SandboxUnsupportedError``
        in sandbox mode; ``AuthenticationError``, ``RateLimitError`` (after retries),
        ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        page = await client.templates.list(page=2)
        print([template.label for template in page.data], page.has_next)
        ```
        """
        return await self._page(LIST, page)

    @operation
    async def list_all(self, page: int | None = None) -> Page[Template]:
        """One page of every template available to your account
        (``GET /api/v1/message-templates/all-templates``).

        - ``page``: an integer >= 1; ``None`` or ``1`` asks for the first page with no query,
          any other as ``?page=N``. ``iter_all`` walks every page for you.

        Returns a ``Page[Template]``: ``data`` (the templates), ``pagination`` (``total``,
        ``per_page``, ``current_page``, ``total_pages``, ...) and ``has_next``.

        Raises ``ValidationError`` (``page``) before any request; ``SandboxUnsupportedError``
        in sandbox mode; ``AuthenticationError``, ``RateLimitError`` (after retries),
        ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        page = await client.templates.list_all()
        print(len(page.data), page.pagination.total)
        ```
        """
        return await self._page(LIST_ALL, page)

    async def _page(self, endpoint: Endpoint, page: int | None) -> Page[Template]:
        decode = _PAGE_DECODERS[endpoint.name]
        return await self._client.call(endpoint, decode, params=_page_query(page))

    async def _walk(self, endpoint: Endpoint) -> AsyncIterator[Template]:
        page: int | None = None
        while True:
            result = await self._page(endpoint, page)
            for template in result.data:
                yield template
            if not result.data or not result.has_next:
                return
            page = (result.pagination.current_page or page or _limits.FIRST_PAGE) + 1

    @iterator
    def iter(self) -> AsyncIterator[Template]:
        """Every template assigned to your account, page after page
        (``GET /api/v1/message-templates``, then ``?page=2``, ... while there is a next page).

        Yields each ``Template`` (``async for`` on ``AsyncClient``, ``for`` on ``Client``);
        a page is asked for only when the one before is used up.

        Raises, from the request of a page: ``SandboxUnsupportedError`` in sandbox mode;
        ``AuthenticationError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        async for template in client.templates.iter():
            print(template.id, template.label, template.status)
        ```
        """
        return self._walk(LIST)

    @iterator
    def iter_all(self) -> AsyncIterator[Template]:
        """Every template available to your account, page after page
        (``GET /api/v1/message-templates/all-templates``, then ``?page=2``, ...).

        Yields each ``Template`` (``async for`` on ``AsyncClient``, ``for`` on ``Client``);
        a page is asked for only when the one before is used up.

        Raises, from the request of a page: ``SandboxUnsupportedError`` in sandbox mode;
        ``AuthenticationError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        async for template in client.templates.iter_all():
            print(template.id, template.label, template.language_id)
        ```
        """
        return self._walk(LIST_ALL)

    @operation
    async def get(self, template_id: str) -> Template:
        """One template, with its components (``GET /api/v1/message-templates/{template_id}``).

        - ``template_id``: not blank, at most 200 characters.

        Returns the ``Template``: ``id``, ``label``, ``template_name``, ``status``,
        ``category_id``, ``language_id``, ``components``, and ``parameter_counts()`` (what a
        send must give). It is remembered for ``send_template``'s parameter check.

        Raises ``ValidationError`` (``template_id``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``NotFoundError`` for an unknown
        template; ``AuthenticationError``, ``RateLimitError`` (after retries),
        ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        template = await client.templates.get("60243665e4058d3b4a377bd2")
        print(template.status, template.parameter_counts())
        ```
        """
        text(template_id, "template_id", _limits.ID_MAX)
        template = await self._client.call(GET, _decode_got, path_args=(template_id,))
        self._remember(template_id, template)
        return template

    async def _cached(self, template_id: str) -> Template:
        """The template, fetched once per client (for parameter checks)."""
        template = self._cache.get(template_id)
        if template is None:
            template = await self._client.call(GET, _decode_got, path_args=(template_id,))
            self._remember(template_id, template)
        return template

    def _remember(self, template_id: str, template: Template) -> None:
        self._cache[template_id] = template
        self._cache.move_to_end(template_id)
        while len(self._cache) > TEMPLATE_CACHE_SIZE:
            self._cache.popitem(last=False)

    @operation
    async def create(self, **spec: Unpack[TemplateFields]) -> Template:
        """Create a template (``POST /api/v1/message-templates``).

        Keywords: ``label``, ``category_id``, ``language_id`` (required), ``is_propose``
        (default ``False``; ``True`` submits it to WhatsApp at once), ``header``, ``body``,
        ``footer``, ``buttons``, ``otp``, ``add_security_recommendation``,
        ``code_expiration_minutes``. ``header``, ``body``, ``buttons`` and ``otp`` take the
        SDK's spec structs (``TemplateHeaderSpec``, ...) or dicts in the reference's wire
        shape, sent as given. The server checks the definition (``UnprocessableEntityError``):
        ``category_id`` one of UTILITY, MARKETING, AUTHENTICATION; ``language_id`` one of
        ``languages()``; ``body`` required but for AUTHENTICATION, which needs ``otp``;
        ``code_expiration_minutes`` 1 to 90.

        Returns the new ``Template`` (``id``, ``status``, ...).

        Raises ``ValidationError`` (``template``: a required keyword missing, an unknown one)
        before any request; ``SandboxUnsupportedError`` in sandbox mode;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        spec = {"category_id": "UTILITY", "language_id": "id", "body": {"text": "Order shipped"}}
        created = await client.templates.create(label="order_shipped", **spec)
        ```
        """
        return await self._client.call(CREATE, _decode_created, body=_encode_spec(spec))

    @operation
    async def update(self, template_id: str, **spec: Unpack[TemplateFields]) -> Template:
        """Replace a template's definition (``PUT /api/v1/message-templates/{template_id}``).

        - ``template_id``: not blank, at most 200 characters.
        - the keywords are those of ``create``, with the same rules; the whole definition is
          sent again (``label``, ``category_id`` and ``language_id`` are required).

        Returns the updated ``Template``. The copy kept for ``send_template``'s check is
        dropped.

        Raises ``ValidationError`` (``template_id``, ``template``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``NotFoundError`` for an unknown
        template; ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError``
        (after retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        spec = {"label": "order_shipped", "category_id": "UTILITY", "language_id": "id"}
        updated = await client.templates.update(template.id, **spec, body={"text": "Shipped"})
        ```
        """
        text(template_id, "template_id", _limits.ID_MAX)
        self._cache.pop(template_id, None)
        return await self._client.call(
            UPDATE, _decode_updated, path_args=(template_id,), body=_encode_spec(spec)
        )

    @operation
    async def propose(self, template_id: str) -> None:
        """Submit a template to WhatsApp for approval
        (``POST /api/v1/message-templates/{template_id}/propose``, no body).

        - ``template_id``: not blank, at most 200 characters.

        Returns ``None``; the template's ``status`` (see ``get``) follows the review.

        Raises ``ValidationError`` (``template_id``) before any request;
        ``SandboxUnsupportedError`` in sandbox mode; ``NotFoundError`` for an unknown
        template; ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError``
        (after retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``);
        ``ClientClosedError`` after close.

        ```python
        await client.templates.propose(created.id)
        print((await client.templates.get(created.id)).status)
        ```
        """
        text(template_id, "template_id", _limits.ID_MAX)
        await self._client.request(PROPOSE, path_args=(template_id,))

    @operation
    async def categories(self) -> builtins.list[TemplateCategory]:
        """Template categories (``GET /api/v1/template-categories``).

        Returns a list of ``TemplateCategory`` (``id``, ``name``): ``UTILITY``,
        ``MARKETING``, ``AUTHENTICATION``; an ``id`` is ``create``'s ``category_id``.

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        categories = await client.templates.categories()
        print([category.id for category in categories])
        ```
        """
        return await self._client.call(CATEGORIES, _decode_categories)

    @operation
    async def languages(self) -> builtins.list[TemplateLanguage]:
        """Languages a template may be written in (``GET /api/v1/template-languages``).

        Returns a list of ``TemplateLanguage`` (``id``, ``name``); an ``id`` is ``create``'s
        ``language_id``.

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        languages = await client.templates.languages()
        print({language.id: language.name for language in languages})
        ```
        """
        return await self._client.call(LANGUAGES, _decode_languages)
