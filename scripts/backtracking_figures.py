"""How long a backtracking field pattern holds a matcher: Python's ``re`` against RE2.

The README's figures for ``fields.toml`` patterns come from here. ``(a|aa)+$`` on ``n`` letters
``a`` and a ``!`` (so the match must fail) makes Python's ``re`` try every way of splitting the
``a``s: the time grows by the golden ratio per letter. RE2, which ticketbot matches field
patterns with, stays linear. Each ``re`` match runs in a child process with a time limit, so a
slow one is cut off (and reported as such) instead of holding this script.

    python scripts/backtracking_figures.py            # n = 20, 24, ... 36, and the projection
    python scripts/backtracking_figures.py --upto 40  # the README's 40 letters (about 15 s)
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import time

import re2

PATTERN = r"(a|aa)+$"


def _time_re(n: int, result: multiprocessing.Queue[float]) -> None:
    import re

    text = "a" * n + "!"
    started = time.perf_counter()
    re.search(PATTERN, text)
    result.put(time.perf_counter() - started)


def time_re(n: int, limit: float) -> float | None:
    """Seconds Python's ``re`` takes to fail on ``n`` letters; None when over ``limit``."""
    queue: multiprocessing.Queue[float] = multiprocessing.Queue()
    child = multiprocessing.Process(target=_time_re, args=(n, queue))
    child.start()
    child.join(limit)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get()


def time_re2(n: int) -> float:
    compiled = re2.compile(PATTERN)
    text = "a" * n + "!"
    started = time.perf_counter()
    compiled.search(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upto", type=int, default=36, help="the longest run of letters timed")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds one re match may take")
    args = parser.parse_args()
    print(f"pattern {PATTERN!r} on n letters 'a' and a '!'")
    print(f"{'n':>4} {'re (s)':>10} {'RE2 (ms)':>9}")
    timed: list[tuple[int, float]] = []
    for n in range(20, args.upto + 1, 4):
        spent = time_re(n, args.limit)
        shown = f"{spent:10.3f}" if spent is not None else f">{args.limit:9.0f}"
        print(f"{n:4d} {shown} {time_re2(n) * 1000:9.3f}")
        if spent is not None and spent > 0.01:
            timed.append((n, spent))
    print(f"{'19000':>5} {'-':>9} {time_re2(19_000) * 1000:9.3f}  (RE2 on a ticket's length)")
    if len(timed) >= 2:
        (n0, t0), (n1, t1) = timed[0], timed[-1]
        growth = (t1 / t0) ** (1 / (n1 - n0))
        for n in (40, 60):
            projected = t1 * growth ** (n - n1)
            days = projected / 86_400
            print(
                f"re grows x{growth:.2f} a letter: n={n} projected {projected:,.0f} s"
                + (f" ({days:.1f} days)" if days >= 1 else "")
            )
        print(f"(the golden ratio is {(1 + math.sqrt(5)) / 2:.2f})")


if __name__ == "__main__":
    main()
