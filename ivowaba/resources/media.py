"""``client.media``: download the files customers send (images, voice notes, documents)."""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from ivowaba import _limits
from ivowaba._errors import ValidationError
from ivowaba._operations import OPERATIONS
from ivowaba._resource import Mode, Resource, operation
from ivowaba._validation import text
from ivowaba.types.resources import Media

DOWNLOAD = OPERATIONS["media.download"]


def _safe_filename(name: str | None, fallback: str) -> str:
    """A bare file name: no directory part, never ``.`` or ``..``, whatever the server or the
    media id say."""
    for candidate in (name, fallback):
        base = os.path.basename((candidate or "").replace("\\", "/"))
        if base not in ("", ".", ".."):
            return base
    return "media"


class MediaResource(Resource[Mode]):
    """Media of inbound messages, by the id found in ``message.image.id`` and the like."""

    @operation
    async def download(self, media_id: str, *, max_bytes: int | None = None) -> Media:
        """Download a media file into memory (``GET /api/v1/media/{media_id}``).

        - ``media_id``: the id of an inbound message's media (``message.image.id`` and the
          like), not blank, at most 512 characters.
        - ``max_bytes``: a positive integer: a larger file is refused, the connection dropped
          as soon as the limit is passed; ``None`` (the default): no limit. For large files
          prefer ``download_to``.

        Returns a ``Media``: ``content`` (bytes), ``content_type``, and ``filename`` when the
        server names one (``Content-Disposition``), else ``None``. The sandbox has it too.

        Raises ``ValidationError`` (``media_id``, ``max_bytes``) before any request;
        ``NotFoundError`` for an unknown id; ``ResponseTooLargeError`` past ``max_bytes``;
        ``AuthenticationError``, ``RateLimitError`` (after retries), ``ServerError``,
        ``APIConnectionError`` (``APITimeoutError``); ``ClientClosedError`` after close.

        ```python
        media = await client.media.download(message.image.id, max_bytes=16_000_000)
        print(media.content_type, len(media.content))
        ```
        """
        text(media_id, "media_id", _limits.MEDIA_ID_MAX)
        _check_max_bytes(max_bytes)
        async with self._client.stream(DOWNLOAD, path_args=(media_id,)) as download:
            content = await download.read(max_bytes)
            return Media(
                content=content, content_type=download.content_type, filename=download.filename
            )

    @operation
    async def download_to(
        self, media_id: str, path: str | os.PathLike[str], *, max_bytes: int | None = None
    ) -> Path:
        """Stream a media file to disk (``GET /api/v1/media/{media_id}``), in chunks: memory
        stays flat whatever its size.

        - ``media_id``: as for ``download``: not blank, at most 512 characters.
        - ``path``: the file to write, or a directory (an existing one, or a path ending in
          ``/``, created if missing): the file is then named after the server's filename
          (else the media id). It appears complete or not at all: it is written beside the
          target (``.part``) and renamed into place at the end.
        - ``max_bytes``: as for ``download``; a refused file leaves nothing behind.

        Returns the ``Path`` written. The sandbox has it too.

        Raises ``ValidationError`` (``media_id``, ``max_bytes``) before any request;
        ``NotFoundError`` for an unknown id; ``ResponseTooLargeError`` past ``max_bytes``;
        ``OSError`` when the file cannot be written; ``AuthenticationError``,
        ``RateLimitError`` (after retries), ``ServerError``, ``APIConnectionError``
        (``APITimeoutError``); ``ClientClosedError`` after close.

        ```python
        path = await client.media.download_to(message.document.id, "downloads/")
        print(path)
        ```
        """
        text(media_id, "media_id", _limits.MEDIA_ID_MAX)
        _check_max_bytes(max_bytes)
        target = Path(path)
        folder = os.fspath(path).endswith(("/", os.sep))
        async with self._client.stream(DOWNLOAD, path_args=(media_id,)) as download:
            if folder or await anyio.Path(target).is_dir():
                await anyio.Path(target).mkdir(parents=True, exist_ok=True)
                target = target / _safe_filename(download.filename, media_id)
            partial = target.with_name(target.name + ".part")
            try:
                async with await anyio.open_file(partial, "wb") as file:
                    async for chunk in download.chunks(max_bytes):
                        await file.write(chunk)
                await anyio.Path(partial).replace(target)
            except BaseException:
                await anyio.Path(partial).unlink(missing_ok=True)
                raise
        return target


def _check_max_bytes(max_bytes: int | None) -> None:
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1
    ):
        raise ValidationError("max_bytes", f"must be a positive integer or None, got {max_bytes!r}")
