"""What every HTTP route shares: problem details, the session per request, authentication."""
