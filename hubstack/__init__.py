"""Developer tooling: run the whole Hub locally, migrations, dead letters, demo data."""
import os

# eventlet prints a multi-line deprecation banner on import unless this is set; it changes
# nothing else (eventlet/__init__.py), and keeps `make run` output readable.
os.environ.setdefault("EVENTLET_TESTS", "1")
