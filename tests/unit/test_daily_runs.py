"""common.daily: a once-a-day job runs in one replica only, and a replica that died part-way
is taken over once its claim is stale."""
from datetime import UTC, date, datetime, timedelta

from rosters.models import SweepRun

from common.daily import claim_day, finish_day
from tests.support.databases import memory_sessions

DAY = date(2025, 3, 1)


def test_the_first_replica_to_claim_a_day_runs_it_and_the_others_skip_it():
    sessions = memory_sessions("rosters")
    with sessions() as first, sessions() as second:
        assert claim_day(first, SweepRun, DAY) is True
        assert claim_day(second, SweepRun, DAY) is False
        finish_day(first, SweepRun, DAY, {"evaluated": 3})
        first.commit()
        assert claim_day(second, SweepRun, DAY) is False
        assert second.get(SweepRun, DAY).summary == '{"evaluated": 3}'
        assert claim_day(second, SweepRun, DAY + timedelta(days=1)) is True


def test_a_claim_left_unfinished_is_taken_over_once_stale_by_one_replica_only():
    sessions = memory_sessions("rosters")
    with sessions() as session:
        session.add(SweepRun(day=DAY, started_at=datetime.now(UTC) - timedelta(hours=4)))
        session.commit()
    with sessions() as first, sessions() as second:
        assert claim_day(first, SweepRun, DAY) is True
        assert claim_day(second, SweepRun, DAY) is False  # fresh again: the taker is alive
