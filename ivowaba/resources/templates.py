"""``client.templates``: list, show, create, update and propose message templates."""

from __future__ import annotations

import builtins
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ivowaba import _json, _limits, _template_rules
from ivowaba._errors import TemplateRejectedError, TemplateReviewTimeoutError, ValidationError
from ivowaba._operations import OPERATIONS, Paged
from ivowaba._operations import Operation as Endpoint
from ivowaba._resource import Mode, Resource, iterator, operation
from ivowaba._retry import _pause as pause
from ivowaba._validation import flag, seconds, text
from ivowaba.types.resources import Page
from ivowaba.types.templates import (
    Template,
    TemplateBodySpec,
    TemplateButtonSpec,
    TemplateCategory,
    TemplateHeaderSpec,
    TemplateLanguage,
    TemplateOtpSpec,
    TemplateProblem,
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


#: The fields of a template definition (the body of "Create template").
_TEMPLATE_FIELDS = frozenset(TemplateSpec.__struct_fields__)


def _values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords as the request body has them: ``is_propose`` false unless given, ``None``
    left out, ``buttons`` and ``otp`` as lists."""
    values: dict[str, Any] = {"is_propose": False}
    for name, value in fields.items():
        if value is None:
            continue
        listed = name in ("buttons", "otp") and isinstance(value, (list, tuple))
        values[name] = list(value) if listed else value
    return values


def _encode_spec(values: Mapping[str, Any]) -> bytes:
    """The body of "Create template" / "Update template" for ``_values(keywords)``."""
    try:
        spec = TemplateSpec(**values)
    except TypeError as exc:
        raise ValidationError("template", str(exc)) from None
    return _json.encode(spec)


def _unexpected(values: Mapping[str, Any]) -> builtins.list[TemplateProblem]:
    """A keyword that is no field of a template: the gateway would ignore it."""
    return [
        TemplateProblem(component="template", field=name, rule="is not a field of a template")
        for name in values
        if name not in _TEMPLATE_FIELDS
    ]


class Templates(Resource[Mode]):
    """Message templates of your WhatsApp account.

    ``list``/``list_all`` return one ``Page``; ``iter``/``iter_all`` walk every page.
    """

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._cache: OrderedDict[str, Template] = OrderedDict()
        #: The category and language ids the gateway lists, once fetched.
        self._listed: tuple[frozenset[str], frozenset[str]] | None = None

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

    async def _listed_ids(self) -> tuple[frozenset[str], frozenset[str]]:
        """The category and language ids the gateway lists, fetched once per client."""
        if self._listed is None:
            categories = await self._client.call(CATEGORIES, _decode_categories)
            languages = await self._client.call(LANGUAGES, _decode_languages)
            self._listed = (
                frozenset(category.id for category in categories),
                frozenset(language.id for language in languages),
            )
        return self._listed

    async def _problems(self, values: Mapping[str, Any]) -> builtins.list[TemplateProblem]:
        """What WhatsApp's rules find in the template ``values``. The gateway's categories and
        languages are asked for (once per client) only when nothing else is wrong, so that a
        template broken in any other way is refused without a request."""
        spec = _json.decode_any(_json.encode(values))  # what the gateway would receive
        found = _unexpected(values) + _template_rules.problems(spec)
        if found:
            return found
        categories, languages = await self._listed_ids()
        return _template_rules.problems(spec, categories=categories, languages=languages)

    async def _checked(self, endpoint: Endpoint, fields: Mapping[str, Any], check: bool) -> bytes:
        """The body of ``endpoint`` for ``fields``; with ``check``, raise every problem it has
        at once."""
        # In the sandbox, SandboxUnsupportedError names this operation, not the lists the
        # check would read first.
        self._client.url_for(endpoint)
        flag(check, "check", optional=False)
        values = _values(fields)
        if check:
            found = await self._problems(values)
            if found:
                raise ValidationError.of(found)
        return _encode_spec(values)

    @operation
    async def create(self, *, check: bool = True, **spec: Unpack[TemplateFields]) -> Template:
        """Create a template (``POST /api/v1/message-templates``).

        Keywords: ``label``, ``category_id``, ``language_id`` (required), ``is_propose``
        (default ``False``; ``True`` submits it to WhatsApp's review at once), ``header``,
        ``body``, ``footer``, ``buttons``, ``otp``, ``add_security_recommendation``,
        ``code_expiration_minutes``. ``header``, ``body``, ``buttons`` and ``otp`` take the
        SDK's spec structs (``TemplateHeaderSpec``, ...) or dicts in the reference's wire
        shape, sent as given.

        - ``check`` (``True`` or ``False``, default ``True``): first check WhatsApp's
          template rules (those ``lint`` lists), and raise every problem at once instead of
          sending a template the review would reject. ``category_id`` and ``language_id``
          are checked against ``categories()`` and ``languages()``, fetched once per client,
          and only when nothing else is wrong. ``False`` sends the template as it is.

        Returns the new ``Template`` (``id``, ``status``, ...); ``wait_for_review`` waits for
        WhatsApp's verdict on a proposed one.

        Raises ``ValidationError`` before the template is sent: a required keyword missing, an
        unknown one, or a rule broken (``.problems`` lists them all, each naming its
        component, field and rule); ``SandboxUnsupportedError`` in sandbox mode;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``),
        ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        spec = {"category_id": "UTILITY", "language_id": "id", "is_propose": True}
        body = {"text": "Hi {{1}}, your order has shipped today.", "examples": ["Ann"]}
        created = await client.templates.create(label="order_shipped", body=body, **spec)
        ```
        """
        body = await self._checked(CREATE, spec, check)
        return await self._client.call(CREATE, _decode_created, body=body)

    @operation
    async def update(
        self, template_id: str, *, check: bool = True, **spec: Unpack[TemplateFields]
    ) -> Template:
        """Replace a template's definition (``PUT /api/v1/message-templates/{template_id}``).

        - ``template_id``: not blank, at most 200 characters.
        - ``check``: as ``create``'s: WhatsApp's template rules first (default ``True``).
        - the keywords are those of ``create``, with the same rules; the whole definition is
          sent again (``label``, ``category_id`` and ``language_id`` are required).

        Returns the updated ``Template``. The copy kept for ``send_template``'s check is
        dropped.

        Raises ``ValidationError`` (``template_id``; a keyword missing or unknown; a rule
        broken, all in ``.problems``) before the template is sent; ``SandboxUnsupportedError``
        in sandbox mode; ``NotFoundError`` for an unknown template; ``AuthenticationError``,
        ``UnprocessableEntityError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``), ``ResponseDecodeError``;
        ``ClientClosedError`` after close.

        ```python
        spec = {"label": "order_shipped", "category_id": "UTILITY", "language_id": "id"}
        body = {"text": "Your order has shipped, thank you."}
        updated = await client.templates.update(template.id, **spec, body=body)
        ```
        """
        text(template_id, "template_id", _limits.ID_MAX)
        body = await self._checked(UPDATE, spec, check)
        self._cache.pop(template_id, None)
        return await self._client.call(UPDATE, _decode_updated, path_args=(template_id,), body=body)

    @operation
    async def lint(self, spec: Mapping[str, Any]) -> builtins.list[TemplateProblem]:
        """WhatsApp's template rules, checked without sending the template: what ``create``
        and ``update`` check before any request.

        - ``spec``: the template as ``create``'s keywords (or the reference's "Create
          template" body) in a dict: ``{"label": ..., "category_id": ..., "body": {...}}``.

        The rules, each from WhatsApp's template guidelines unless said otherwise (the
        limits are named constants in ``ivowaba._limits``, which also says where each comes
        from):

        - ``label``: at most 512 characters, with a letter or a digit (WhatsApp's name of
          the template is made of them); ``category_id`` and ``language_id`` among those
          the gateway lists (``GET /api/v1/template-categories`` and
          ``GET /api/v1/template-languages``, asked for once per client and only when
          nothing else is wrong).
        - every text's parameters written ``{{1}}``, ``{{2}}``, ..., numbered from 1 without
          gaps and in order, each with an example (header, body, dynamic URL button).
        - header: format TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; a text header at most 60
          characters, one line, at most one parameter; a media header with an example.
        - body: required (but for AUTHENTICATION, which needs ``otp``); at most 1024
          characters; no two parameters side by side; neither starting nor ending with a
          parameter; enough words for its parameters: words and parameters together at
          least 3 per parameter, plus 1 (WhatsApp refuses "too many variable parameters
          relative to the message length" without a number: this is the ratio Syniverse
          and Mercuri publish from observed rejections).
        - footer: at most 60 characters, no parameter.
        - buttons: at most 10, of which at most 2 URL and 1 PHONE_NUMBER; QUICK_REPLY
          buttons side by side; a text of at most 25 characters; an http(s) URL, a dynamic
          one ending in its only parameter ``{{1}}``, with an example; a phone number in
          international form (``country_code`` and ``phone_number``).

        Returns the problems, a list of ``TemplateProblem`` (``component``, ``field``,
        ``rule``; ``str()`` of one is ``"field: rule"``); empty when the template is clean.

        Raises ``ValidationError`` (``spec``) when ``spec`` is not a dict: that is bad input,
        not a template with problems; from the request of the gateway's lists:
        ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        spec = {"label": "promo", "category_id": "MARKETING", "language_id": "en"}
        for problem in await client.templates.lint({**spec, "body": {"text": "{{1}} off!"}}):
            print(problem)  # body.text: must not start with a parameter, ...
        ```
        """
        if not isinstance(spec, Mapping):
            given = "None" if spec is None else type(spec).__name__
            raise ValidationError("spec", f"must be a dict of the template's fields, not {given}")
        return await self._problems(_values(spec))

    @operation
    async def wait_for_review(
        self, template_id: str, *, timeout: float = 600.0, interval: float = 10.0
    ) -> Template:
        """Wait for WhatsApp's verdict on a proposed template, asking for it every
        ``interval`` seconds (``GET /api/v1/message-templates/{template_id}``).

        - ``template_id``: not blank, at most 200 characters.
        - ``timeout``: seconds to wait at most (default 600).
        - ``interval``: seconds between two looks (default 10).

        A template waits while its status is ``submitted`` (IVOWBA's word for a proposed
        one) or WhatsApp's ``pending`` or ``in_appeal``. The waits are the retries' own:
        ``ivowaba.testing.no_backoff()`` skips them in tests (and lists them).

        Returns the ``Template`` once it leaves review approved (or with any other status
        that is not a review's: a ``draft`` never proposed is returned as it is).

        Raises ``TemplateRejectedError`` (``.reason``, when the gateway gives one) when
        WhatsApp rejected it; ``TemplateReviewTimeoutError`` (a ``TimeoutError``) when it is
        still under review after ``timeout``; ``ValidationError`` (``template_id``,
        ``timeout``, ``interval``) before any request; ``SandboxUnsupportedError`` in sandbox
        mode; ``NotFoundError`` for an unknown template; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        created = await client.templates.create(**spec, is_propose=True)
        approved = await client.templates.wait_for_review(created.id, timeout=3600)
        ```
        """
        text(template_id, "template_id", _limits.ID_MAX)
        seconds(timeout, "timeout")
        seconds(interval, "interval")
        started, waited = time.monotonic(), 0.0
        while True:
            template = await self._client.call(GET, _decode_got, path_args=(template_id,))
            self._remember(template_id, template)
            status = (template.status or "").lower()
            if status == _limits.TEMPLATE_REJECTED:
                raise TemplateRejectedError(template)
            if status not in _limits.TEMPLATE_PENDING_STATUSES:
                return template
            # The waits, when skipped in tests, still count: the timeout comes as it would.
            elapsed = max(time.monotonic() - started, waited)
            if elapsed >= timeout:
                raise TemplateReviewTimeoutError(template_id, template.status, timeout)
            step = min(interval, timeout - elapsed)
            await pause(step)
            waited += step

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
