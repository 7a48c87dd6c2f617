"""The matching engine (匹配引擎): pure functions over arrays; no database, no I/O, no clock.

``solve`` proposes at most one opening per worker, optimal for (priority-tier workers placed,
workers placed, total quality) in that strict order; ``render_*`` put its reasons into words.
"""

from ._eligibility import coming_of_age_day
from ._explain import REASON_KINDS, explain, explain_all, render_reasons, render_unproposed
from ._markets import Markets, in_share, markets, select_openings, select_workers, share_of
from ._match import greedy, solve
from ._score import PART_NAMES, Q_MAX
from ._solve import MapBatches, sequential
from ._types import (
    BETTER_USE,
    NO_DAY,
    NO_ELIGIBLE,
    TAKEN_BY_PRIORITY,
    Exclusions,
    Label,
    MatchResult,
    Openings,
    Vocab,
    Workers,
)

__all__ = [
    "BETTER_USE",
    "NO_DAY",
    "NO_ELIGIBLE",
    "PART_NAMES",
    "Q_MAX",
    "REASON_KINDS",
    "TAKEN_BY_PRIORITY",
    "Exclusions",
    "Label",
    "MapBatches",
    "Markets",
    "MatchResult",
    "Openings",
    "Vocab",
    "Workers",
    "coming_of_age_day",
    "explain",
    "explain_all",
    "greedy",
    "in_share",
    "markets",
    "render_reasons",
    "render_unproposed",
    "select_openings",
    "select_workers",
    "sequential",
    "share_of",
    "solve",
]
