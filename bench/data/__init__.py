"""`make bench-data`: a production-sized, seeded data set written straight into PostgreSQL
databases of the services (COPY, not HTTP), for benchmarks at 6,000, 60,000 or 600,000 people.
See bench/data/__main__.py for the options and generate.py for what a run does."""
