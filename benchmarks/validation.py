"""Concurrent checks: 50 smoke checks against a server that answers each request in 100 ms, run as
one validation round. A round should take about as long as its slowest check, not their sum.

    python benchmarks/validation.py [--checks 50] [--delay-ms 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=50)
    parser.add_argument("--delay-ms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = serve(args.delay_ms / 1000)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    checks = [SmokeCheck(path=f"/page{i}", name=f"page {i}") for i in range(args.checks)]
    for concurrency in (args.checks, 16, 1):
        rounds, slowest, total = [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            results = run_round(url, checks, concurrency)
            rounds.append(time.perf_counter() - started)
            slowest.append(max(r.seconds for r in results))
            total.append(sum(r.seconds for r in results))
            assert all(r.passed for r in results), [r.seen for r in results if not r.passed]
        round_s, slow_s, sum_s = (statistics.median(v) for v in (rounds, slowest, total))
        print(f"concurrency {concurrency:>3}: round {round_s:6.3f} s   slowest check {slow_s:6.3f} s   "
              f"sum {sum_s:6.3f} s   round/slowest {round_s / slow_s:5.2f}x   round/sum {round_s / sum_s:5.3f}x")
    server.shutdown()


if __name__ == "__main__":
    main()
