"""A TLS-terminating TCP proxy: TLS clients on 127.0.0.1:PORT, plain TCP to the upstream.

    python tests/support/tls_proxy.py PORT CERT KEY [UPSTREAM_HOST:PORT]   (default 127.0.0.1:5672)

The local RabbitMQ has no TLS listener; in front of it this stands in for one, so the Hub's
amqps:// code paths run for real with certificate verification on (tests/deploy).
"""
from __future__ import annotations

import asyncio
import ssl
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main(port: int, cert: str, key: str, upstream: str) -> None:
    host, upstream_port = upstream.rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    async def handle(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(upstream_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, up_writer), pipe(up_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port, ssl=context)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]), args[1], args[2], args[3] if len(args) > 3 else "127.0.0.1:5672"))
