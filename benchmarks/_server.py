"""A minimal keep-alive HTTP/1.1 server that answers every request like IVOWBA's send
endpoints, fast enough that the clients measured against it are the bottleneck.

Run in its own process, pinned to its own CPU when the machine has more than one:

    python benchmarks/_server.py --port 0 --cpu 1     # prints "PORT <n>" once listening
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

ANSWER_PREFIX = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"


class SendProtocol(asyncio.Protocol):
    """Parses just enough of each request (headers, then Content-Length bytes) to answer it."""

    counter = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        out = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(buffer[:end]).lower()
            length = 0
            at = head.find(b"content-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at)
                length = int(head[at + 15 : line_end if line_end >= 0 else None])
            total = end + 4 + length
            if len(buffer) < total:
                break
            del buffer[:total]
            SendProtocol.counter += 1
            body = b'{"messages":[{"id":"wamid.%d"}]}' % SendProtocol.counter
            out.append(ANSWER_PREFIX + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        if out:
            self.transport.write(b"".join(out))


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SendProtocol, "127.0.0.1", port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cpu", type=int, default=None)
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
