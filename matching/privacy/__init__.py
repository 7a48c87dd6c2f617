"""Her rights over her data: her copy (the export) and the record of who read it."""
