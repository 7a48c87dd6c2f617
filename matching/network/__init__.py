"""The agency network: agencies, offices, staff accounts, roles and scoping, tokens."""
