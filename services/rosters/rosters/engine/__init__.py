"""The rules engine: pure functions from a person's dated facts and the catalog's rules to the
status of each classification record, as of any date. No database, no nameko, no clock."""
