"""make_<thing>(**overrides): valid, unique test data."""
from __future__ import annotations

import random
import uuid


def make_ssn() -> str:
    # valid per SSA rules: area 001-665 or 667-899 (we stay below 666), group 01-99, serial 0001-9999
    return f"{random.randint(100, 665):03d}-{random.randint(1, 99):02d}-{random.randint(1, 9999):04d}"


def make_person(**overrides) -> dict:
    unique = uuid.uuid4().hex[:10]
    person = {
        "email": f"pat.{unique}@example.com",
        "password": "a-long-password-1",
        "first_name": "Pat",
        "last_name": f"Grip-{unique}",
        "date_of_birth": "1991-03-04",
        "ssn": make_ssn(),
    }
    person.update(overrides)
    return person
