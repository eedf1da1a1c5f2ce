"""Per-mechanism random streams, drawn in bulk.

Each mechanism owns one :class:`Stream`, built from its own child ``SeedSequence``,
so that changing one mechanism's parameters never shifts another's draws (common
random numbers). Draws are taken from numpy in blocks and handed out one by one as
Python floats: far cheaper per draw than calling the generator for each scalar.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MECHANISM_STREAMS", "Stream", "make_streams"]

# Stable identifiers: a stream's seed is SeedSequence(seed, spawn_key=(replication, id)).
# Append new mechanisms at the end; never renumber (it would change every result).
MECHANISM_STREAMS: dict[str, int] = {
    "core": 0,
    "messages": 1,
    "meetings": 2,
    "informal": 3,
    "opportunities": 4,
    "decisions": 5,
    "milestones": 6,
    "market": 7,
    "conflicts": 8,
    "resolution": 9,
    "chemistry": 10,
    "review": 11,
    "sources": 12,
}

_BLOCK = 256


class Stream:
    """A block-buffered source of uniform, exponential and normal variates."""

    __slots__ = ("_rng", "_u", "_e", "_n")

    def __init__(self, seed_seq: np.random.SeedSequence) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed_seq))
        self._u: list[float] = []
        self._e: list[float] = []
        self._n: list[float] = []

    @property
    def generator(self) -> np.random.Generator:
        """The underlying numpy generator, for vectorised draws."""
        return self._rng

    def uniform(self) -> float:
        """A draw from U(0, 1)."""
        if not self._u:
            self._u = self._rng.random(_BLOCK).tolist()
        return self._u.pop()

    def exponential(self, mean: float) -> float:
        """A draw from the exponential distribution with the given mean."""
        if not self._e:
            self._e = self._rng.standard_exponential(_BLOCK).tolist()
        return mean * self._e.pop()

    def normal(self) -> float:
        """A draw from N(0, 1)."""
        if not self._n:
            self._n = self._rng.standard_normal(_BLOCK).tolist()
        return self._n.pop()

    def lognormal_mean(self, mean: float, sigma: float = 0.5) -> float:
        """A lognormal draw with the given arithmetic mean and log-scale sigma."""
        import math

        return mean * math.exp(sigma * self.normal() - 0.5 * sigma * sigma)

    def poisson(self, lam: float) -> int:
        """A Poisson draw (inversion by exponential gaps; fine for the small rates used here)."""
        if lam <= 0.0:
            return 0
        if lam > 30.0:
            return int(self._rng.poisson(lam))
        n, t = 0, self.exponential(1.0)
        while t < lam:
            n += 1
            t += self.exponential(1.0)
        return n


def make_streams(seed: int, replication: int = 0) -> dict[str, Stream]:
    """One :class:`Stream` per mechanism for run ``(seed, replication)``."""
    return {
        name: Stream(np.random.SeedSequence(seed, spawn_key=(replication, idx)))
        for name, idx in MECHANISM_STREAMS.items()
    }
