"""The accounts service: people, their portal logins and sessions."""
