"""Placements (就业) and what follows them: follow-ups, ending, re-employment."""
