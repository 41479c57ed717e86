"""What start-up leans on: the collector paused only for the block asked (``common.collector``)
and patterns compiled on first use behaving as the compiled ones (``common.patterns``)."""

from __future__ import annotations

import gc
import re
import threading

import pytest

from ticket_processor.common.collector import paused
from ticket_processor.common.patterns import LazyPattern


def test_the_collector_is_off_in_the_block_and_on_after_it() -> None:
    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
        with paused():  # a block inside another leaves it to the outer one
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_a_block_that_raised() -> None:
    with pytest.raises(ValueError, match="a failed import"), paused():
        raise ValueError("a failed import")
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_blocks_in_two_threads_leave_the_collector_on() -> None:
    inside = threading.Barrier(2)

    def start_up() -> None:
        with paused():
            inside.wait(timeout=30)

    threads = [threading.Thread(target=start_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert gc.isenabled()


@pytest.mark.parametrize(
    ("source", "flags"),
    [(r"(?:^|\b)(?:out of (?:the )?office|ooo)(?:\b|$)", 0), (r"(?m)^-- ?$", 0), (r"b+", re.I)],
)
def test_a_lazy_pattern_matches_as_the_compiled_one(source: str, flags: int) -> None:
    text = "Hi\n-- \nI am OUT of the office; ooo until Monday. BBb\n--"
    lazy, compiled = LazyPattern(source, flags), re.compile(source, flags)
    assert lazy.pattern == compiled.pattern
    assert bool(lazy.search(text)) == bool(compiled.search(text))
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.sub("_", text) == compiled.sub("_", text)
    assert lazy.subn("_", text, 1) == compiled.subn("_", text, 1)
    assert lazy.split(text) == compiled.split(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert (lazy.match(text) is None) == (compiled.match(text) is None)
    assert (lazy.fullmatch(text) is None) == (compiled.fullmatch(text) is None)
    assert lazy.compiled is lazy.compiled  # compiled once
