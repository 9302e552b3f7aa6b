"""Concurrent checks: 50 smoke checks against a server that answers each request in 100 ms, run as
one validation round. A round should take about as long as its slowest check, not their sum.

    python benchmarks/validation.py [--checks 50] [--delay-ms 100] [--runs 9] [--no-bytecode-cache]

Target (issue: speed): at full concurrency, the round <= 1.3x its slowest check. Each round is also
set against the server's own delay (a floor no client can beat), and, as a reference in the same
run, against a bare ThreadPoolExecutor of requests.get calls (rounds interleaved).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _conditions import add_bytecode_option, bytecode_env, describe, spread

from deploylib.validate.runner import run_round
from deploylib.validate.smoke import SmokeCheck


def serve(delay: float) -> ThreadingHTTPServer:
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            time.sleep(delay)  # the server under test is slow on purpose
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the listen backlog: the default 5 drops connections under a burst

    server = Server(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bare_round(url: str, paths: list[str], workers: int) -> float:
    """The same requests with requests.get in a thread pool: what a hand-written script would do."""
    import requests

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(lambda path: requests.get(url + path, timeout=10).status_code, paths))
    assert answers == [200] * len(paths), answers
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=9)
    add_bytecode_option(parser)
    args = parser.parse_args()
    bytecode_env(args.no_bytecode_cache)
    delay = args.delay_ms / 1000
    server = serve(delay)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    checks = [SmokeCheck(path=f"/page{i}", name=f"page {i}") for i in range(args.checks)]
    run_round(url, checks[:2], 2)  # imports and first connections, not measured
    print(f"{args.checks} smoke checks, a server answering each in {args.delay_ms} ms; "
          f"{describe(args.no_bytecode_cache)}")
    for concurrency in (args.checks, 16, 1):
        rounds, slowest, bare = [], [], []
        for _ in range(args.runs if concurrency > 1 else 1):
            started = time.perf_counter()
            results = run_round(url, checks, concurrency)
            rounds.append(time.perf_counter() - started)
            slowest.append(max(r.seconds for r in results))
            assert all(r.passed for r in results), [r.seen for r in results if not r.passed]
            if concurrency == args.checks:
                bare.append(bare_round(url, [c.path for c in checks], concurrency))
        per_round = [r / s for r, s in zip(rounds, slowest, strict=True)]
        print(f"concurrency {concurrency:>3}: round {spread(rounds)}; slowest check {spread(slowest)}; "
              f"round/slowest {spread(per_round, 'x')}; round/server delay {statistics.median(rounds) / delay:.2f}x")
        if bare:
            print(f"  bare requests.get in {concurrency} threads: round {spread(bare)}; deploylib/bare "
                  f"{statistics.median(rounds) / statistics.median(bare):.2f}x")
            verdict = statistics.median(per_round)
            print(f"  target round <= 1.3x slowest check: {verdict:.2f}x {'OK' if verdict <= 1.3 else 'OVER'}")
    server.shutdown()


if __name__ == "__main__":
    main()
