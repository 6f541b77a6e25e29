"""Named, independent random streams derived from the world seed.

Every part of the generator draws from its own stream, so changing one part (or the number of days) does not
shift the random numbers of another part. Nothing uses the global random state.
"""

from __future__ import annotations

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
