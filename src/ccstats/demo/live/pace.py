"""How long things last in the live shift, in whole seconds, from one seeded generator.

Talks are log-normal (median 2.5 minutes, mostly 1 to 5), after-call work 10 s to a
minute or so; a caller who is not answered hangs up after a few seconds (a fifth:
wrong number, changed mind) or after about a minute and a half (median), rarely after
more than five. The callers' rate follows a slow wave (20 minutes, ±40 %) that starts
at its crest, so queues build up now and then and the first minutes are busy.
"""

from __future__ import annotations

import math
import random

#: Share of after-call work followed by a break, and by a few minutes unavailable.
BREAK_SHARE = 0.06
AWAY_SHARE = 0.03
#: Share of outbound calls that are answered.
OUTBOUND_REACHED = 0.45
WAVE_SECONDS = 1200
WAVE_AMPLITUDE = 0.4


class Pace:
    """The random draws of one live shift, in the order the simulation asks for them."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def chance(self, share: float) -> bool:
        return self._rng.random() < share

    def between(self, low: int, high: int) -> int:
        """Uniform, both ends included."""
        return self._rng.randint(low, high)

    def pick(self, weights: list[float]) -> int:
        """An index drawn with these relative weights."""
        return self._rng.choices(range(len(weights)), weights)[0]

    def ring(self) -> int:
        return self.between(3, 10)

    def talk(self) -> int:
        return self._log_normal(150.0, 0.45, 40, 420)

    def after_work(self) -> int:
        return 8 + round(self._rng.expovariate(1 / 30))

    def patience(self) -> int:
        """Seconds a caller waits before hanging up if nobody answers."""
        if self.chance(0.2):
            return self.between(3, 10)
        return self._log_normal(90.0, 0.6, 10, 600)

    def break_length(self) -> int:
        return self.between(240, 600)

    def away_length(self) -> int:
        return self.between(60, 180)

    def before_dialling(self) -> int:
        """Seconds an agent of a mixed project waits for a caller before dialling out."""
        return 5 + round(self._rng.expovariate(1 / 40))

    def prework(self) -> int:
        return self.between(5, 20)

    def dialling(self) -> int:
        return self.between(6, 25)

    def outbound_after_work(self, reached: bool) -> int:
        return 15 + round(self._rng.expovariate(1 / 40)) if reached else self.between(3, 10)

    def next_arrival(self, after: int, per_hour: float, wave_start: int) -> int:
        """The next caller's arrival after `after`, with a rate of `per_hour` on average
        following the wave that starts at `wave_start` (drawn by thinning)."""
        peak = per_hour * (1 + WAVE_AMPLITUDE) / 3600
        t = float(after)
        while True:
            t += self._rng.expovariate(peak)
            if self._rng.random() * (1 + WAVE_AMPLITUDE) < wave(t - wave_start):
                return max(after + 1, math.ceil(t))

    def _log_normal(self, median: float, sigma: float, low: int, high: int) -> int:
        return min(high, max(low, round(self._rng.lognormvariate(math.log(median), sigma))))


def wave(elapsed: float) -> float:
    """The callers' rate relative to its mean, `elapsed` seconds into the shift."""
    return 1 + WAVE_AMPLITUDE * math.cos(2 * math.pi * elapsed / WAVE_SECONDS)
