"""What the federation and the agencies read off the service: today the console's dashboard
(counts and charts); the yearly figures, spreadsheets and job fairs grow here."""
