"""TCP proxies on 127.0.0.1 that add latency, one per benchmarked host (bench/hosts_drift.py).

Each proxy forwards every connection to the same target (the one sshd) and delivers each chunk it reads half
the round-trip latency after it arrived, in each direction: a line with delay, not a throttle (chunks in
flight overlap, order is kept), so every request/answer exchange of ssh — TCP handshake excepted, the key
exchange, authentication, each command — costs one added round trip, as on a distant machine. Every proxy
counts the connections it accepted (one ssh master per host is what tempoctl promises). All proxies run on one
asyncio loop in one background thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class DelayProxy:
    port: int = 0
    connections: int = 0


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((time.monotonic() + delay, chunk))
            if not chunk:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    finally:
        writer.close()


async def _serve(proxy: DelayProxy, target: int, delay: float) -> asyncio.base_events.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proxy.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pump(reader, up_writer, delay), _pump(up_reader, writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
    proxy.port = server.sockets[0].getsockname()[1]
    return server


@contextmanager
def delay_proxies(count: int, target: int, latency_ms: float) -> Iterator[list[DelayProxy]]:
    """`count` proxies to 127.0.0.1:`target`, each adding `latency_ms` per round trip."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bench-tcp-delay", daemon=True)
    thread.start()
    proxies = [DelayProxy() for _ in range(count)]
    delay = latency_ms / 2000  # half a round trip each way
    servers = [asyncio.run_coroutine_threadsafe(_serve(p, target, delay), loop).result(30) for p in proxies]
    try:
        yield proxies
    finally:
        async def stop() -> None:
            for s in servers:
                s.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()
