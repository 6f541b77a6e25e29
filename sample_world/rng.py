"""Named, independent random streams derived from the world seed.

Every part of the generator draws from its own stream, so changing one part (or the number of days) does not
shift the random numbers of another part. Nothing uses the global random state.
"""

from __future__ import annotations

import bisect
import itertools
import random
import zlib

import numpy as np


def _entropy(seed: int, names: tuple[str | int, ...]) -> list[int]:
    return [seed, *(zlib.crc32(n.encode()) if isinstance(n, str) else int(n) for n in names)]


def np_stream(seed: int, *names: str | int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(_entropy(seed, names))))


def py_stream(seed: int, *names: str | int) -> random.Random:
    state = np.random.SeedSequence(_entropy(seed, names)).generate_state(4, np.uint32)
    return random.Random(int.from_bytes(state.tobytes(), "little"))


def salt(seed: int, *names: str | int) -> int:
    """A 64-bit constant for id scrambling."""
    return int(np.random.SeedSequence(_entropy(seed, names)).generate_state(1, np.uint64)[0])


class Weighted:
    """A weighted choice among fixed items: the same draw as `rnd.choices(items, weights)[0]`, which rebuilds the
    cumulative weights on every call (the life simulation draws products and quantities millions of times)."""

    def __init__(self, items, weights) -> None:
        self.items = tuple(items)
        self._cum = list(itertools.accumulate(weights))
        self._total = self._cum[-1] + 0.0
        self._hi = len(self._cum) - 1

    def pick(self, rnd: random.Random):
        return self.items[bisect.bisect(self._cum, rnd.random() * self._total, 0, self._hi)]
