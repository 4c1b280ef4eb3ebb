"""The rosters service: classifications, rules, statuses, work days and public search."""
