"""The match run's SQL beyond the snapshot: its runs, proposals and the reasons she was left out.

What a live offer is and how an opening's slots are counted are shared with other features:
``matching.db.rules``."""

from __future__ import annotations
