#!/usr/bin/env python3
"""A TCP proxy that holds every request back DELAY_MS before relaying it: a registry
one network round trip of DELAY_MS away, for timing what a read waits for per request.

    benches/slow_proxy.py LISTEN_PORT UPSTREAM_HOST:PORT DELAY_MS
"""
import asyncio
import sys

port, upstream, delay = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) / 1000
up_host, up_port = upstream.rsplit(":", 1)


async def pump(reader, writer, hold):
    try:
        while data := await reader.read(256 * 1024):
            if hold:
                await asyncio.sleep(hold)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def serve(client_r, client_w):
    try:
        up_r, up_w = await asyncio.open_connection(up_host, int(up_port))
    except OSError:
        client_w.close()
        return
    await asyncio.gather(pump(client_r, up_w, delay), pump(up_r, client_w, 0))


async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
