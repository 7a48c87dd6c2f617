"""The internal seams a few rule tests reach through, kept in one place so that they are easy
to re-point when the service's modules move. Everything else those tests do goes through HTTP
and the database.

- ``snapshot``: the module whose ``load(session, now, today)`` the match runner calls (by
  attribute, at call time) to read the pool. tests/integration/test_stale_proposals.py wraps
  it to change the world between the snapshot and the write.
- ``offers``: the offer's repository, whose ``view(session, offer_id)`` confirming an offer
  calls (by attribute) to read the offer. tests/integration/test_refusals.py makes it answer a stale
  view, to show the database guard refuses what the service's own check let through.
"""

from __future__ import annotations

from matching.matches import snapshot
from matching.offers import repository as offers

__all__ = ["offers", "snapshot"]
