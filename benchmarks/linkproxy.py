"""A loopback TCP proxy that stands for the link to a remote registry: each connection's throughput is
capped, and each request waits a fixed latency before it goes upstream.

Against a registry on loopback every connection is as fast as the CPU allows, so moving layers over
several connections at once cannot beat moving them one by one on a machine with two cores. Over a
real link one connection is held back by what the network gives it (the TCP window over the round
trip, a CDN's cap per connection); that is what this models:

* **throughput:** a token bucket per connection and direction, ``--mbps`` MB/s (10^6 bytes) each, so
  five connections together may move five times as much (the link itself has room to spare);
* **latency:** the first bytes of each request (and of each new connection) are held ``--latency-ms``
  before they go upstream. A request is what the client sends after the last answer bytes came back
  (HTTP/1.1 without pipelining, as every client here speaks it).

Stdlib only, one thread per connection and direction, bytes relayed in 256 KiB pieces. It runs as its
own process (``link_proxy``) so its CPU time is read apart from the client's and the registry's.

Run by hand: ``.venv/bin/python benchmarks/linkproxy.py 127.0.0.1:5000 --mbps 40 --latency-ms 20``
prints the port it listens on, then relays until stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

PIECE = 256 * 1024


class Bucket:
    """A token bucket: ``take(n)`` returns once ``n`` more bytes fit in ``rate`` bytes a second."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = float(PIECE)
        self.stamp = time.monotonic()

    def take(self, n: int) -> None:
        now = time.monotonic()
        self.tokens = min(float(PIECE), self.tokens + (now - self.stamp) * self.rate) - n
        self.stamp = now
        if self.tokens < 0:
            time.sleep(-self.tokens / self.rate)


def relay(
    src: socket.socket, dst: socket.socket, rate: float, before: Callable[[], None], after: Callable[[], None]
) -> None:
    buf = bytearray(PIECE)
    view = memoryview(buf)
    bucket = Bucket(rate)
    with contextlib.suppress(OSError):
        while n := src.recv_into(buf):
            before()
            bucket.take(n)
            dst.sendall(view[:n])
            after()
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)  # pass the end of one direction on; the other may still run


def _nothing() -> None:
    pass


def serve(client: socket.socket, upstream: tuple[str, int], rate: float, latency: float) -> None:
    # True while the next bytes from the client start a new request (set once answer bytes went back).
    new_request = [True]

    def hold() -> None:
        if new_request[0]:
            new_request[0] = False
            time.sleep(latency)

    def answered() -> None:
        new_request[0] = True

    with client, socket.create_connection(upstream) as server:
        for sock in (client, server):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        args = (server, client, rate, _nothing, answered)
        back = threading.Thread(target=relay, args=args, daemon=True)
        back.start()
        relay(client, server, rate, hold, _nothing)
        back.join()


def run(upstream: str, mbps: float, latency_ms: float) -> None:
    host, _, port = upstream.rpartition(":")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        while True:
            client, _ = listener.accept()
            args = (client, (host, int(port)), mbps * 1e6, latency_ms / 1000)
            threading.Thread(target=serve, args=args, daemon=True).start()


@dataclass(frozen=True)
class LinkProxy:
    host: str  # host:port to give the clients instead of the registry's
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the proxy process has used so far."""
        with open(f"/proc/{self.pid}/stat") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def link_proxy(upstream: str, mbps: float, latency_ms: float) -> Iterator[LinkProxy]:
    """The proxy in its own process in front of ``upstream`` (host:port); stopped (by its PID) after."""
    cmd = [sys.executable, __file__, upstream, "--mbps", str(mbps), "--latency-ms", str(latency_ms)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield LinkProxy(f"127.0.0.1:{port}", proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("upstream", help="host:port of the registry")
    parser.add_argument("--mbps", type=float, default=40, help="cap per connection and direction, MB/s")
    parser.add_argument("--latency-ms", type=float, default=0, help="held before each request goes on")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        run(args.upstream, args.mbps, args.latency_ms)


if __name__ == "__main__":
    main()
