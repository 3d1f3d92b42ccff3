"""``client.media``: download the files customers send (images, voice notes, documents)."""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from ivowaba._client import Endpoint
from ivowaba._resource import Mode, Resource, operation
from ivowaba._validation import text
from ivowaba.types.resources import Media

DOWNLOAD = Endpoint("media.download", "GET", "/api/v1/media/{}", sandbox=True)

#: Bytes read at a time by ``download_to``: memory stays flat whatever the file size.
CHUNK_SIZE = 64 * 1024


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
    async def download(self, media_id: str) -> Media:
        """The whole file in memory: ``content``, ``content_type``, and ``filename`` when the
        server names one (``Content-Disposition``). For large files prefer ``download_to``."""
        text(media_id, "media_id", 512)
        async with self._client.stream(DOWNLOAD, path_args=(media_id,)) as response:
            content = await response.read()
            return Media(
                content=content,
                content_type=response.content_type,
                filename=response.content_disposition.filename
                if response.content_disposition
                else None,
            )

    @operation
    async def download_to(self, media_id: str, path: str | os.PathLike[str]) -> Path:
        """Stream the file to ``path`` in chunks and return where it was written.

        If ``path`` is a directory the file is named after the server's filename (or the
        media id). The file appears complete or not at all: it is written beside the target
        and renamed into place at the end.
        """
        text(media_id, "media_id", 512)
        target = Path(path)
        async with self._client.stream(DOWNLOAD, path_args=(media_id,)) as response:
            if await anyio.Path(target).is_dir():
                disposition = response.content_disposition
                name = disposition.filename if disposition else None
                target = target / _safe_filename(name, media_id)
            partial = target.with_name(target.name + ".part")
            try:
                async with await anyio.open_file(partial, "wb") as file:
                    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                        await file.write(chunk)
                await anyio.Path(partial).replace(target)
            except BaseException:
                await anyio.Path(partial).unlink(missing_ok=True)
                raise
        return target
