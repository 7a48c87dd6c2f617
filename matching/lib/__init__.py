"""Small shared pieces: domain errors, pagination, the clock and key derivation."""
