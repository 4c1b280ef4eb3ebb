"""The notifications service: the Message Center and the e-mails that go with it."""
