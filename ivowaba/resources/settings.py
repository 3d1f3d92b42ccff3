"""``client.settings``: the business profile, the "about" text and the profile photo."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import aiohttp

from ivowaba import _json, _limits
from ivowaba import _validation as v
from ivowaba._errors import ValidationError
from ivowaba._operations import OPERATIONS
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types._base import Outbound
from ivowaba.types.resources import BusinessProfile

GET_BUSINESS_PROFILE = OPERATIONS["settings.get_business_profile"]
UPDATE_BUSINESS_PROFILE = OPERATIONS["settings.update_business_profile"]
GET_ABOUT = OPERATIONS["settings.get_about"]
UPDATE_ABOUT = OPERATIONS["settings.update_about"]
GET_PHOTO = OPERATIONS["settings.get_photo"]
UPDATE_PHOTO = OPERATIONS["settings.update_photo"]


class _BusinessProfileUpdate(Outbound):
    address: str | None = None
    description: str | None = None
    email: str | None = None
    vertical: str | None = None
    websites: list[str] | None = None


class _AboutUpdate(Outbound):
    text: str


_decode_business: Callable[[bytes], BusinessProfile] = GET_BUSINESS_PROFILE.decoder
_decode_about: Callable[[bytes], str] = GET_ABOUT.decoder
_decode_photo_link: Callable[[bytes], str] = GET_PHOTO.decoder


def _websites(websites: Sequence[str]) -> list[str]:
    """``websites`` as sent, checked by the rule the server (and the emulator) applies: at most
    ``BUSINESS_WEBSITES_MAX`` absolute http(s) URLs."""
    urls = v.listed(websites, "websites", "URLs")
    v.count(urls, "websites", 0, _limits.BUSINESS_WEBSITES_MAX)
    for i, url in enumerate(urls):
        v.http_url(url, f"websites[{i}]")
    return urls


PhotoArg = bytes | str | os.PathLike[str] | BinaryIO


def _photo_form(photo: PhotoArg) -> Callable[[], aiohttp.MultipartWriter]:
    """A factory of the multipart body (a fresh one per attempt: a body is consumed by sending)."""
    if isinstance(photo, (bytes, bytearray, memoryview)):
        content, filename = bytes(photo), "photo.jpg"
    elif isinstance(photo, (str, os.PathLike)):
        path = Path(photo)
        if not path.is_file():
            raise ValidationError("photo", f"no such file: {str(path)!r}")
        content, filename = path.read_bytes(), path.name
    elif isinstance(photo, io.IOBase) or hasattr(photo, "read"):
        content = photo.read()
        if not isinstance(content, bytes):
            raise ValidationError("photo", "the file must be opened in binary mode ('rb')")
        filename = os.path.basename(getattr(photo, "name", "") or "photo.jpg")
    else:
        raise ValidationError(
            "photo", f"must be bytes, a path or a binary file, got {type(photo).__name__}"
        )
    if not content:
        raise ValidationError("photo", "is empty")
    content_type = "image/png" if content.startswith(b"\x89PNG") else "image/jpeg"

    def build() -> aiohttp.MultipartWriter:
        writer = aiohttp.MultipartWriter("form-data")
        part = writer.append(content, {"Content-Type": content_type})
        part.set_content_disposition("form-data", name="photo", filename=filename)
        return writer

    return build


class Settings(Resource[Mode]):
    """Your WhatsApp business profile, as customers see it."""

    @operation
    async def get_business_profile(self) -> BusinessProfile:
        """The business profile (``GET /api/v1/settings/business-profile``).

        Returns a ``BusinessProfile``: ``address``, ``description``, ``email``, ``vertical``
        and ``websites`` (a list).

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        profile = await client.settings.get_business_profile()
        print(profile.description, profile.websites)
        ```
        """
        return await self._client.call(GET_BUSINESS_PROFILE, _decode_business)

    @operation
    async def update_business_profile(
        self,
        *,
        address: str | None = None,
        description: str | None = None,
        email: str | None = None,
        vertical: str | None = None,
        websites: Sequence[str] | None = None,
    ) -> None:
        """Change the business profile (``POST /api/v1/settings/business-profile``).

        Give at least one of ``address``, ``description``, ``email``, ``vertical`` and
        ``websites``; those left at ``None`` are not sent (nor changed). ``websites``: at most
        2 absolute http(s) URLs with a host.

        Returns ``None``.

        Raises ``ValidationError`` (``profile``: nothing to change; ``websites``,
        ``websites[i]``) before any request; ``SandboxUnsupportedError`` in sandbox mode;
        ``AuthenticationError``, ``UnprocessableEntityError``, ``RateLimitError`` (after
        retries), ``ServerError``, ``APIConnectionError`` (``APITimeoutError``);
        ``ClientClosedError`` after close.

        ```python
        await client.settings.update_business_profile(vertical="Professional Services")
        await client.settings.update_business_profile(websites=["https://example.com"])
        ```
        """
        update = _BusinessProfileUpdate(
            address=address,
            description=description,
            email=email,
            vertical=vertical,
            websites=_websites(websites) if websites is not None else None,
        )
        if update == _BusinessProfileUpdate():
            raise ValidationError("profile", "give at least one field to change")
        await self._client.request(UPDATE_BUSINESS_PROFILE, body=_json.encode(update))

    @operation
    async def get_about(self) -> str:
        """The profile's "about" text (``GET /api/v1/settings/profiles/about``).

        Returns the text, a ``str``.

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        about = await client.settings.get_about()
        print(about)
        ```
        """
        return await self._client.call(GET_ABOUT, _decode_about)

    @operation
    async def update_about(self, text: str) -> None:
        """Change the profile's "about" text (``PATCH /api/v1/settings/profiles/about``).

        - ``text``: not blank, at most 139 characters.

        Returns ``None``.

        Raises ``ValidationError`` (``text``) before any request; ``SandboxUnsupportedError``
        in sandbox mode; ``AuthenticationError``, ``UnprocessableEntityError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``); ``ClientClosedError`` after close.

        ```python
        await client.settings.update_about("Open daily, 08:00-20:00 WIB")
        print(await client.settings.get_about())
        ```
        """
        v.text(text, "text", _limits.ABOUT_MAX)
        await self._client.request(UPDATE_ABOUT, body=_json.encode(_AboutUpdate(text=text)))

    @operation
    async def get_photo(self) -> str:
        """A link to the profile photo (``GET /api/v1/settings/profiles/photo?format=link``).

        Returns the link, a ``str`` (a URL on WhatsApp's servers).

        Raises ``SandboxUnsupportedError`` in sandbox mode; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``), ``ResponseDecodeError``; ``ClientClosedError`` after close.

        ```python
        link = await client.settings.get_photo()
        print(link)
        ```
        """
        return await self._client.call(GET_PHOTO, _decode_photo_link, params={"format": "link"})

    @operation
    async def update_photo(self, photo: PhotoArg) -> None:
        """Upload a new profile photo (``POST /api/v1/settings/profiles/photo``), sent as
        ``multipart/form-data`` with one file field, ``photo``.

        - ``photo``: bytes, the path of an existing file, or a file opened in ``"rb"`` mode;
          not empty. It is read once, before the request, and sent as ``image/png`` when it
          is a PNG, else as ``image/jpeg``; the server refuses what is not an image
          (``UnprocessableEntityError``).

        Returns ``None``.

        Raises ``ValidationError`` (``photo``) before any request; ``SandboxUnsupportedError``
        in sandbox mode; ``AuthenticationError``, ``UnprocessableEntityError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``); ``ClientClosedError`` after close.

        ```python
        await client.settings.update_photo("logo.png")
        print(await client.settings.get_photo())
        ```
        """
        await self._client.request(UPDATE_PHOTO, body=_photo_form(photo))
