"""The agents' fixed profiles: their projects, whether they work weekends, when they start."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ccstats.demo.arrays import I64, Mask


@dataclass(frozen=True)
class Agents:
    """One entry per agent: user id ``u`` at index ``u - 1``."""

    primary: I64
    """The project ``(u - 1) % projects + 1``."""
    secondary: I64
    """A second project of about 40 % of the agents; 0 for none."""
    weekend_worker: Mask
    usual_start: I64
    """Local seconds of day: 07:00 to 09:30 in half hours."""

    def __len__(self) -> int:
        return len(self.primary)


def draw_agents(seed: int, agents: int, projects: int) -> Agents:
    """The profiles of ``agents`` agents; they depend only on the arguments."""
    rng = np.random.default_rng([seed, 0])
    users = np.arange(1, agents + 1, dtype=np.int64)
    primary = (users - 1) % projects + 1
    secondary = np.zeros(agents, np.int64)
    if projects > 1:
        other = (primary - 1 + rng.integers(1, projects, agents)) % projects + 1
        secondary = np.where(rng.random(agents) < 0.4, other, 0).astype(np.int64)
    weekend_worker = rng.random(agents) < 0.08
    usual_start = (7 * 3600 + 1800 * rng.integers(0, 6, agents)).astype(np.int64)
    return Agents(primary, secondary, weekend_worker, usual_start)
