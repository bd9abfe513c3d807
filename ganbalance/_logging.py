"""The library's logger, and the one line a silent long fit writes to it."""

from __future__ import annotations

import logging

logger = logging.getLogger("ganbalance")

#: A silent fit (verbose=0) longer than about this many steps logs one INFO line.
LONG_FIT_STEPS = 500


def log_long_fit(name: str, n_steps: int, verbose) -> None:
    """Log one INFO line before a long fit when no progress bar is shown (``verbose=0``), so
    that a notebook with logging on shows what is running. scikit-learn's silent default is
    kept: nothing appears unless logging is configured."""
    if not verbose and n_steps >= LONG_FIT_STEPS:
        logger.info("%s: training for %d steps; pass verbose=1 for a progress bar.", name,
                    n_steps)
