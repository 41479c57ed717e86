"""Topics from vectors: the number is found, small groups are no topic, large inputs sample."""

from __future__ import annotations

import numpy as np

from ticket_processor.topics.cluster import MIN_TOPIC_SIZE, cluster


def _groups(
    sizes: list[int], *, spread: float = 0.15, seed: int = 1
) -> tuple[np.ndarray, list[int]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), 64))
    rows, truth = [], []
    for g, size in enumerate(sizes):
        centre = centres[g] / np.linalg.norm(centres[g])
        for _ in range(size):
            rows.append(centre + rng.normal(scale=spread / 8, size=64))
            truth.append(g)
    return np.asarray(rows, np.float32), truth


def _same_partition(labels: np.ndarray, truth: list[int]) -> bool:
    pairs = {(int(a), b) for a, b in zip(labels, truth, strict=True)}
    return len(pairs) == len(set(truth)) == len({a for a, _ in pairs})


def test_finds_as_many_topics_as_there_are_groups_without_being_told() -> None:
    for sizes in ([10, 8, 6], [5] * 12):
        vectors, truth = _groups(sizes)
        found = cluster(vectors)
        assert found.topics == len(sizes)
        assert _same_partition(found.labels, truth)
        # numbered by size, largest first
        counts = [len(found.members(t)) for t in range(found.topics)]
        assert counts == sorted(counts, reverse=True)


def test_a_lone_ticket_gets_no_topic() -> None:
    vectors, _ = _groups([6, 6, 1])
    found = cluster(vectors)
    assert found.topics == 2
    assert found.labels[-1] == -1
    assert MIN_TOPIC_SIZE == 2


def test_the_same_input_and_seed_give_the_same_topics() -> None:
    vectors, _ = _groups([30, 20, 10])
    first = cluster(vectors, seed=3, sample=25)
    again = cluster(vectors, seed=3, sample=25)
    assert np.array_equal(first.labels, again.labels)


def test_a_large_input_is_clustered_on_a_sample_and_the_rest_join_their_topic() -> None:
    vectors, truth = _groups([200, 150, 100])
    far = np.random.default_rng(9).normal(size=(1, 64)).astype(np.float32) * 10
    found = cluster(np.vstack([vectors, far]), sample=60)
    assert found.topics == 3
    assert _same_partition(found.labels[:-1], truth)
    assert found.labels[-1] == -1  # near no topic: none


def test_nothing_and_one_ticket() -> None:
    assert cluster(np.zeros((0, 8), np.float32)).topics == 0
    assert cluster(np.ones((1, 8), np.float32)).labels.tolist() == [-1]
