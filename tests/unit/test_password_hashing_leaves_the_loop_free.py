"""argon2 takes a tenth of a second or more of CPU: a service checking a password must go on
serving its other workers meanwhile (issue 12: on the event loop, every login stalled every
authenticated request of the Hub)."""
import time

import eventlet
from accounts.passwords import hash_password, hasher, verify_password


def ticks_during(work) -> tuple[int, float]:
    ticks = []

    def ticker():
        while True:
            ticks.append(time.monotonic())
            eventlet.sleep(0.002)

    green = eventlet.spawn(ticker)
    eventlet.sleep(0)
    before, started = len(ticks), time.monotonic()
    work()
    elapsed = time.monotonic() - started
    green.kill()
    return len(ticks) - before, elapsed


def test_other_green_threads_run_while_a_password_is_checked():
    stored = hasher.hash("a-long-enough-password-1")

    ticks, elapsed = ticks_during(lambda: verify_password(stored, "the-wrong-password-2"))

    assert elapsed > 0.02  # argon2 really ran
    assert ticks >= 3, f"the event loop stood still for {elapsed * 1000:.0f} ms"


def test_other_green_threads_run_while_a_password_is_hashed():
    ticks, elapsed = ticks_during(lambda: hash_password("a-long-enough-password-1"))

    assert ticks >= 3, f"the event loop stood still for {elapsed * 1000:.0f} ms"


def test_checking_still_answers_right_and_wrong():
    stored = hash_password("a-long-enough-password-1")

    assert verify_password(stored, "a-long-enough-password-1")
    assert not verify_password(stored, "the-wrong-password-2")
    assert not verify_password(None, "a-long-enough-password-1")
