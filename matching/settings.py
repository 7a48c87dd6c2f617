"""Configuration from ``LAOWU_*`` environment variables, read once into one frozen object."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/laowu.db"


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable service."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def _networks(env: dict[str, str], name: str) -> tuple[str, ...]:
    """Comma- or space-separated IP addresses or networks (``10.0.0.0/8``), each checked."""
    found = tuple((env.get(name) or "").replace(",", " ").split())
    for item in found:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise ConfigurationError(
                f"{name} holds IP addresses or networks (10.0.0.0/8), got {item!r}"
            ) from exc
    return found


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    for option in allowed:
        if raw.lower() == option.lower():
            return option
    raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str | None = None
    data_dir: Path = field(default_factory=lambda: Path("data"))
    token_ttl_seconds: int = 8 * 3600
    offer_days: int = 3
    notify_webhook_url: str | None = None
    notify_webhook_secret: str | None = None
    max_body_bytes: int = 1024 * 1024
    timezone: str = "Asia/Shanghai"
    # argon2 cost; tests lower it so that hundreds of logins stay fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    db_pool_size: int = 10
    public_url: str = "http://127.0.0.1:8000"
    match_cron: str = "0 6 * * *"
    dispatch_interval_seconds: int = 5
    notice_max_attempts: int = 8
    notice_backoff_seconds: int = 10
    webhook_timeout_seconds: float = 5.0
    # The scheduler (workers/): how often offers are expired and reminders written, and how
    # often a follower tries for the leader lock (takeover after a dead leader ≈ this + a poll).
    expire_interval_seconds: int = 60
    leader_poll_seconds: int = 5
    # A match run's lease: the process running it renews it every quarter of this; a live
    # run whose lease ran out died with its process, and the next request fails it.
    match_lease_seconds: int = 60
    # Logins: after this many failures of one username or one client address within the
    # window, every attempt (even the right password) answers 429 until the window passes.
    login_max_failures: int = 10
    login_window_seconds: int = 300
    # The proxies (nginx) whose X-Forwarded-For is believed about the client's address; none
    # by default, so a client cannot name its own address to dodge the login limit.
    trusted_proxies: tuple[str, ...] = ()
    # /metrics answers a request from this host without a token; others need this bearer.
    metrics_token: str | None = None
    # Earlier secrets, decrypt-only: ID numbers still under one of them read and are found as
    # duplicates until `laowu keys rotate` moves them under the current secret.
    previous_secret_keys: tuple[str, ...] = ()
    # Logs: "json" or "human"; None chooses by stderr (a terminal: human, else JSON).
    log_format: str | None = None
    log_level: str | None = None  # None: INFO for serve and scheduler, WARNING for the rest
    # Spreadsheet imports: the most data rows one file may hold, and the largest upload the
    # import routes take (they alone may exceed max_body_bytes; nginx allows it on them).
    import_max_rows: int = 200_000
    import_max_bytes: int = 64 * 1024 * 1024
    # A job fair's self-registration page: posts allowed per client address per minute (a
    # fair's women may share one Wi-Fi address, so not too few), and how many days an entry
    # nobody handled keeps her data before the retention job blanks it.
    fair_register_per_minute: int = 30
    fair_queue_days: int = 30

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("LAOWU_DATABASE_URL") or DEFAULT_DATABASE_URL,
            secret_key=env.get("LAOWU_SECRET_KEY") or None,
            data_dir=Path(env.get("LAOWU_DATA_DIR") or "data"),
            token_ttl_seconds=_int(env, "LAOWU_TOKEN_TTL_SECONDS", 8 * 3600),
            offer_days=_int(env, "LAOWU_OFFER_DAYS", 3),
            notify_webhook_url=env.get("LAOWU_NOTIFY_WEBHOOK_URL") or None,
            notify_webhook_secret=env.get("LAOWU_NOTIFY_WEBHOOK_SECRET") or None,
            max_body_bytes=_int(env, "LAOWU_MAX_BODY_BYTES", 1024 * 1024),
            db_pool_size=_int(env, "LAOWU_DB_POOL_SIZE", 10),
            public_url=(env.get("LAOWU_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            match_cron=env.get("LAOWU_MATCH_CRON") or "0 6 * * *",
            dispatch_interval_seconds=_int(env, "LAOWU_DISPATCH_INTERVAL_SECONDS", 5),
            notice_max_attempts=_int(env, "LAOWU_NOTICE_MAX_ATTEMPTS", 8),
            notice_backoff_seconds=_int(env, "LAOWU_NOTICE_BACKOFF_SECONDS", 10),
            webhook_timeout_seconds=float(_int(env, "LAOWU_WEBHOOK_TIMEOUT_SECONDS", 5)),
            expire_interval_seconds=_int(env, "LAOWU_EXPIRE_INTERVAL_SECONDS", 60),
            leader_poll_seconds=_int(env, "LAOWU_LEADER_POLL_SECONDS", 5),
            match_lease_seconds=_int(env, "LAOWU_MATCH_LEASE_SECONDS", 60),
            login_max_failures=_int(env, "LAOWU_LOGIN_MAX_FAILURES", 10),
            login_window_seconds=_int(env, "LAOWU_LOGIN_WINDOW_SECONDS", 300),
            trusted_proxies=_networks(env, "LAOWU_TRUSTED_PROXIES"),
            metrics_token=env.get("LAOWU_METRICS_TOKEN") or None,
            previous_secret_keys=tuple(
                k.strip()
                for k in (env.get("LAOWU_PREVIOUS_SECRET_KEYS") or "").split(",")
                if k.strip()
            ),
            log_format=_choice(env, "LAOWU_LOG_FORMAT", ("json", "human")),
            log_level=_choice(env, "LAOWU_LOG_LEVEL", _LEVELS),
            import_max_rows=_int(env, "LAOWU_IMPORT_MAX_ROWS", 200_000),
            import_max_bytes=_int(env, "LAOWU_IMPORT_MAX_BYTES", 64 * 1024 * 1024),
            fair_register_per_minute=_int(env, "LAOWU_FAIR_REGISTER_PER_MINUTE", 30),
            fair_queue_days=_int(env, "LAOWU_FAIR_QUEUE_DAYS", 30),
        )

    def resolved_secret_key(self) -> str:
        """The key that signs tokens and links and derives the ID-number keys.

        On the embedded default (SQLite) a random key is generated once and kept in the data
        folder, so a bare `laowu serve` works; on PostgreSQL the operator must set one.
        """
        if self.secret_key:
            return self.secret_key
        if not self.is_sqlite:
            raise ConfigurationError(
                "LAOWU_SECRET_KEY must be set when LAOWU_DATABASE_URL points at PostgreSQL"
            )
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
