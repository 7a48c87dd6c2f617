"""Background workers: the scheduler process and its jobs (APScheduler, leader lock, job table).

Only ``matching.cli`` imports this package: ``laowu scheduler`` and the in-process scheduler of
``laowu serve``. Jobs call services; no rule lives here.
"""

from workers.leader import SchedulerAlreadyRunning
from workers.scheduler import JOBS, JobSpec, Scheduler, in_process, run_forever

__all__ = ["JOBS", "JobSpec", "Scheduler", "SchedulerAlreadyRunning", "in_process", "run_forever"]
