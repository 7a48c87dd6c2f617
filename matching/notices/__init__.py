"""Notices (通知) to workers' phones: the outbox, its texts, delivery channels, SMS replies."""
