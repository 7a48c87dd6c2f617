"""All ORM models, one private module per aggregate.

Import as ``from matching.db import models as m``.
"""

from matching.db.models._matches import MatchRun, Offer, Proposal, Unproposed
from matching.db.models._network import Account, Agency, Office
from matching.db.models._openings import Employer, Opening, OpeningSkill
from matching.db.models._profiles import WorkerGroup, WorkerProfile, WorkerSkill

__all__ = [
    "Account",
    "Agency",
    "Employer",
    "MatchRun",
    "Offer",
    "Office",
    "Opening",
    "OpeningSkill",
    "Proposal",
    "Unproposed",
    "WorkerGroup",
    "WorkerProfile",
    "WorkerSkill",
]
