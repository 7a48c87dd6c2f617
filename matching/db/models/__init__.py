"""All ORM models, one private module per aggregate.

Import as ``from matching.db import models as m``.
"""

from matching.db.models._aftercare import (
    CASE_OUTCOMES,
    CASE_TYPES,
    Case,
    CaseEntry,
    CheckinLink,
    Course,
    EmployerBan,
    Enrolment,
    FeeSchedule,
    StandingChange,
    Task,
    TrainingSession,
)
from matching.db.models._jobs import JobRun
from matching.db.models._matches import MatchRun, Offer, Proposal, Unproposed
from matching.db.models._network import Account, Agency, LoginAttempt, Office
from matching.db.models._notices import InboundMessage, Notice
from matching.db.models._openings import Employer, Opening, OpeningSkill
from matching.db.models._placements import FollowUp, OfferLink, Placement
from matching.db.models._privacy import ACCESS_ACTIONS, AccessLogEntry
from matching.db.models._profiles import (
    CONSENT_CHANNELS,
    CONSENT_KINDS,
    Consent,
    Erasure,
    PriorityPolicy,
    WorkerGroup,
    WorkerProfile,
    WorkerSkill,
)
from matching.db.models._reports import (
    REGISTRATION_STATUSES,
    FairRegistration,
    JobFair,
    JobFairEmployer,
    LabourForce,
    WageChange,
)

__all__ = [
    "ACCESS_ACTIONS",
    "CASE_OUTCOMES",
    "CASE_TYPES",
    "CONSENT_CHANNELS",
    "CONSENT_KINDS",
    "REGISTRATION_STATUSES",
    "AccessLogEntry",
    "Account",
    "Agency",
    "Case",
    "CaseEntry",
    "CheckinLink",
    "Consent",
    "Course",
    "Employer",
    "EmployerBan",
    "Enrolment",
    "Erasure",
    "FairRegistration",
    "FeeSchedule",
    "FollowUp",
    "InboundMessage",
    "JobFair",
    "JobFairEmployer",
    "JobRun",
    "LabourForce",
    "LoginAttempt",
    "MatchRun",
    "Notice",
    "Offer",
    "OfferLink",
    "Office",
    "Opening",
    "OpeningSkill",
    "Placement",
    "PriorityPolicy",
    "Proposal",
    "StandingChange",
    "Task",
    "TrainingSession",
    "Unproposed",
    "WageChange",
    "WorkerGroup",
    "WorkerProfile",
    "WorkerSkill",
]
