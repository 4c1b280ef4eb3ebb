"""The training service: the Safety Pass course catalog, enrollments and completions."""
