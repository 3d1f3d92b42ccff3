"""``client.settings``: the business profile, the "about" text and the profile photo."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

import aiohttp
import msgspec

from ivowaba import _json, _limits
from ivowaba import _validation as v
from ivowaba._client import Endpoint
from ivowaba._errors import ValidationError
from ivowaba._resource import Mode, Resource, operation
from ivowaba.types._base import Outbound
from ivowaba.types.resources import BusinessProfile

_API = "/api/v1/settings"
GET_BUSINESS_PROFILE = Endpoint("settings.get_business_profile", "GET", f"{_API}/business-profile")
UPDATE_BUSINESS_PROFILE = Endpoint(
    "settings.update_business_profile", "POST", f"{_API}/business-profile"
)
GET_ABOUT = Endpoint("settings.get_about", "GET", f"{_API}/profiles/about")
UPDATE_ABOUT = Endpoint("settings.update_about", "PATCH", f"{_API}/profiles/about")
GET_PHOTO = Endpoint("settings.get_photo", "GET", f"{_API}/profiles/photo")
UPDATE_PHOTO = Endpoint("settings.update_photo", "POST", f"{_API}/profiles/photo")


class _Profile(msgspec.Struct):
    profile: BusinessProfile


class _Business(msgspec.Struct):
    business: _Profile


class _BusinessAnswer(msgspec.Struct):
    settings: _Business


class _Text(msgspec.Struct):
    text: str


class _Link(msgspec.Struct):
    link: str


class _ProfileParts(msgspec.Struct):
    about: _Text | None = None
    photo: _Link | None = None


class _ProfileSettings(msgspec.Struct):
    profile: _ProfileParts


class _ProfileAnswer(msgspec.Struct):
    settings: _ProfileSettings


class _BusinessProfileUpdate(Outbound):
    address: str | None = None
    description: str | None = None
    email: str | None = None
    vertical: str | None = None
    websites: list[str] | None = None


class _AboutUpdate(Outbound):
    text: str


_decode_business = _json.decode_as(_BusinessAnswer)
_decode_profile = _json.decode_as(_ProfileAnswer)


def _about(body: bytes) -> str:
    about = _decode_profile(body).settings.profile.about
    if about is None:
        raise ValueError("no settings.profile.about in the answer")
    return about.text


def _photo_link(body: bytes) -> str:
    photo = _decode_profile(body).settings.profile.photo
    if photo is None:
        raise ValueError("no settings.profile.photo in the answer")
    return photo.link


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
        """Address, description, email, vertical and websites."""
        answer = await self._client.call(GET_BUSINESS_PROFILE, _decode_business)
        return answer.settings.business.profile

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
        """Change the business profile; fields left at ``None`` are not sent."""
        update = _BusinessProfileUpdate(
            address=address,
            description=description,
            email=email,
            vertical=vertical,
            websites=list(websites) if websites is not None else None,
        )
        if update == _BusinessProfileUpdate():
            raise ValidationError("update_business_profile", "give at least one field to change")
        await self._client.request(UPDATE_BUSINESS_PROFILE, body=_json.encode(update))

    @operation
    async def get_about(self) -> str:
        """The profile's "about" text."""
        return await self._client.call(GET_ABOUT, _about)

    @operation
    async def update_about(self, text: str) -> None:
        """Change the profile's "about" text (at most 139 characters)."""
        v.text(text, "text", _limits.ABOUT_MAX)
        await self._client.request(UPDATE_ABOUT, body=_json.encode(_AboutUpdate(text=text)))

    @operation
    async def get_photo(self) -> str:
        """A link to the profile photo."""
        return await self._client.call(GET_PHOTO, _photo_link, params={"format": "link"})

    @operation
    async def update_photo(self, photo: PhotoArg) -> None:
        """Upload a new profile photo, from bytes, a path or a file opened in ``"rb"`` mode.

        Sent as ``multipart/form-data`` with one file field, ``photo``.
        """
        await self._client.request(UPDATE_PHOTO, body=_photo_form(photo))
