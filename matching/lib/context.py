"""What a service needs besides the session: settings and the derived keys."""

from __future__ import annotations

from dataclasses import dataclass

from matching.lib.keys import Keys
from matching.settings import Settings


@dataclass(frozen=True, slots=True)
class Context:
    settings: Settings
    keys: Keys

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(
            settings=settings,
            keys=Keys.from_secret(settings.resolved_secret_key(), settings.previous_secret_keys),
        )
