"""``GET /metrics``: Prometheus's text format, open to this host, else to the configured bearer.

The process's own counts (requests, logins: ``matching.api.metrics``) and the figures read off
the database at each scrape (the outbox, match runs, jobs, follow-ups, the leader lock), so any
API process answers for the service.
"""

from __future__ import annotations

import hmac

from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from matching.api import metrics as process_metrics
from matching.api.auth import PUBLIC
from matching.api.deps import AnyRequest, DbSession, runtime
from matching.lib.errors import Forbidden, Unauthorized, msg
from matching.reports import service
from matching.reports.service import Operations

LOOPBACK = ("127.0.0.1", "::1")
# Litestar adds the charset itself.
MEDIA_TYPE = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")
PROXIED = (b"x-forwarded-for", b"x-real-ip", b"forwarded")


def _allow(request: AnyRequest) -> None:
    """This host's own scraper needs nothing; a request that came through a proxy (nginx on
    this host too) or from elsewhere needs ``Authorization: Bearer $LAOWU_METRICS_TOKEN``."""
    client = request.client.host if request.client else ""
    proxied = any(name in PROXIED for name, _ in request.scope["headers"])
    if client in LOOPBACK and not proxied:
        return
    token = runtime(request.app.state).ctx.settings.metrics_token
    if token is None:
        raise Forbidden(msg("/metrics answers this host only; set LAOWU_METRICS_TOKEN for others"))
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise Unauthorized(msg("/metrics needs the bearer token of LAOWU_METRICS_TOKEN"))


class _Figures(Collector):
    def __init__(self, ops: Operations) -> None:
        self.ops = ops

    def collect(self) -> list[GaugeMetricFamily]:
        ops = self.ops
        notices = GaugeMetricFamily(
            "laowu_notices",
            "Notices in the outbox by status (pending: its depth)",
            labels=["status"],
        )
        for status in ("pending", "sent", "failed", *ops.notices):
            notices.add_metric([status], ops.notices.get(status, 0))
        retries = GaugeMetricFamily(
            "laowu_notice_retries",
            "Delivery attempts beyond each notice's first, over the outbox",
            value=ops.notice_retries,
        )
        oldest = GaugeMetricFamily(
            "laowu_outbox_oldest_pending_age_seconds",
            "Age of the oldest notice not yet sent (0 when none waits)",
            value=ops.oldest_pending_age_seconds or 0.0,
        )
        runs = GaugeMetricFamily("laowu_match_runs", "Match runs by status", labels=["status"])
        for status in ("queued", "running", "done", "failed"):
            runs.add_metric([status], ops.match_runs.get(status, 0))
        phases = GaugeMetricFamily(
            "laowu_match_run_last_phase_seconds",
            "The last finished match run's phases",
            labels=["phase"],
        )
        for phase, seconds in sorted(ops.last_run_seconds.items()):
            phases.add_metric([phase], seconds)
        jobs = GaugeMetricFamily(
            "laowu_job_last_success_timestamp_seconds",
            "When each scheduled job last finished well (Unix time)",
            labels=["job"],
        )
        for job, at in sorted(ops.job_last_success.items()):
            jobs.add_metric([job], at.timestamp())
        due = GaugeMetricFamily(
            "laowu_follow_ups_due",
            "Follow-ups due today or earlier, not yet done",
            value=ops.follow_ups_due,
        )
        found = [notices, retries, oldest, runs, phases, jobs, due]
        if ops.scheduler_leaders is not None:
            found.append(
                GaugeMetricFamily(
                    "laowu_scheduler_leaders",
                    "Schedulers holding the leader lock (1 when healthy, 0: no jobs fire)",
                    value=ops.scheduler_leaders,
                )
            )
        return found


@get("/metrics", opt=PUBLIC, include_in_schema=False)
async def metrics(request: AnyRequest, db_session: DbSession) -> Response[bytes]:
    _allow(request)
    figures = CollectorRegistry(auto_describe=False)
    figures.register(_Figures(await service.operations(db_session)))
    body = process_metrics.exposition() + generate_latest(figures)
    return Response(body, media_type=MEDIA_TYPE)
