"""The memory of reading one Zendesk export page: the peak of Python objects while the page is
fetched, decoded and parsed, and what its parsed tickets hold after (``tracemalloc``).

    python scripts/export_page_memory.py                 # a 1,000-ticket page
    python scripts/export_page_memory.py --tickets 500

The sandbox runs in a process of its own, so only the reading side is counted
(docs/explanation/benchmarks.md lists it among the other scripts).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_harness import EMAIL, TOKEN, make_tickets, seed_sandbox


def _serve(tickets: int, urls: Any) -> None:
    from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
    from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

    sandbox = serve_in_thread(SandboxConfig(email=EMAIL, token=TOKEN, plan="high_volume"))
    seed_sandbox(sandbox, make_tickets(tickets, duplicates=0.0, seed=7))
    urls.put(sandbox.url)
    time.sleep(3600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=1000, help="tickets on the page (1000)")
    parser.add_argument("--tries", type=int, default=3, help="pages read, one after another (3)")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    urls = context.Queue()
    server = context.Process(target=_serve, args=(args.tickets, urls), daemon=True)
    server.start()
    try:
        url = urls.get(timeout=300)
        from ticket_processor.helpdesks.zendesk.client import ZendeskClient

        client = ZendeskClient(url, email=EMAIL, api_token=TOKEN)
        for _ in range(args.tries):
            stream = client.incremental_tickets(start_time=0, per_page=min(args.tickets, 1000))
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            page = next(stream)
            held, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{len(page.tickets)} tickets: peak {(peak - base) / 1e6:.1f} MB of Python "
                f"objects while read, {(held - base) / 1e6:.1f} MB held by the parsed page"
            )
            del page, stream
    finally:
        server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
