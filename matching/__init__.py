"""Laowu (劳务通): labour-transfer job matching for township agencies and their city offices."""

__version__ = "0.1.0"
