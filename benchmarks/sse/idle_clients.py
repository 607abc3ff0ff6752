#!/usr/bin/env python3
"""Idle legacy-SSE clients for the memory benchmark (benchmarks/sse/run.sh; results in BENCHMARKS.md).

    python3 idle_clients.py --port P --count 10000 [--host 127.0.0.1] [--path /sse] [--concurrency 200]
                            [--ready-file F] [--hold 600]

Opens COUNT connections to the proxy, each sending ``GET /sse`` with ``Accept: text/event-stream``, reads the
response head (must be 200 text/event-stream) and the first event (must be ``event: endpoint`` with a
``session_id``), then stays connected and keeps reading (keep-alive comments arrive every 15 s by default) until
SIGTERM/SIGINT or --hold seconds. At most CONCURRENCY connections are being set up at once.

Prints progress lines, then ``CONNECTED n=N unique_sessions=U failed=F seconds=S`` once every connection is set up
(and writes the same line to --ready-file), and ``FINAL still_open=O closed_by_server=C keepalive_comments=K``
when it stops. Python 3.8+, standard library only.
"""
import argparse
import asyncio
import resource
import signal
import sys
import time


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/sse")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    parser.add_argument("--ready-file")
    parser.add_argument("--hold", type=float, default=600.0)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < args.count + 100:
        print(f"idle_clients: fd limit {soft} is too low for {args.count} connections", file=sys.stderr)
        return 2

    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n").encode()
    setup = asyncio.Semaphore(args.concurrency)
    sessions = set()
    stats = {"connected": 0, "failed": 0, "closed": 0, "comments": 0}
    first_failure = []
    writers = []
    stop = asyncio.Event()

    async def client(i: int) -> None:
        async with setup:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(args.host, args.port),
                                                        args.connect_timeout)
                writers.append(writer)
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), args.connect_timeout)
                status = head.split(b"\r\n", 1)[0]
                if b" 200 " not in status + b" " or b"text/event-stream" not in head.lower():
                    raise RuntimeError(f"not an event stream: {head[:200]!r}")
                seen = b""
                while b"session_id=" not in seen or b"\n" not in seen[seen.index(b"session_id="):]:
                    data = await asyncio.wait_for(reader.read(4096), args.connect_timeout)
                    if not data:
                        raise RuntimeError("closed before the endpoint event")
                    seen += data
                if b"event: endpoint" not in seen:
                    raise RuntimeError(f"first event is not the endpoint event: {seen[:200]!r}")
                tail = seen[seen.index(b"session_id=") + len(b"session_id="):]
                sessions.add(tail.split(b"\n", 1)[0].strip(b"\r").split(b"&", 1)[0])
                stats["connected"] += 1
            except Exception as e:  # noqa: BLE001 - counted and reported
                stats["failed"] += 1
                if not first_failure:
                    first_failure.append(repr(e))
                return
        # Idle: keep reading until the server closes or we are told to stop.
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    stats["closed"] += 1
                    return
                stats["comments"] += data.count(b": keep-alive")
        except Exception:  # noqa: BLE001 - a reset counts as closed
            stats["closed"] += 1

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    started = time.monotonic()
    tasks = [asyncio.create_task(client(i)) for i in range(args.count)]
    last = 0
    while stats["connected"] + stats["failed"] < args.count and not stop.is_set():
        await asyncio.sleep(1)
        done = stats["connected"] + stats["failed"]
        if done - last >= 1000 or done == args.count:
            print(f"idle_clients: {stats['connected']} connected, {stats['failed']} failed", file=sys.stderr,
                  flush=True)
            last = done
    line = (f"CONNECTED n={stats['connected']} unique_sessions={len(sessions)} failed={stats['failed']}"
            f" seconds={time.monotonic() - started:.1f}")
    if first_failure:
        line += f" first_failure={first_failure[0]}"
    print(line, flush=True)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(line + "\n")
    try:
        await asyncio.wait_for(stop.wait(), args.hold)
    except asyncio.TimeoutError:
        pass
    print(f"FINAL still_open={stats['connected'] - stats['closed']} closed_by_server={stats['closed']}"
          f" keepalive_comments={stats['comments']}", flush=True)
    for writer in writers:
        writer.transport.abort()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0 if stats["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
