"""The documents service: uploaded files, their review and expiry."""
