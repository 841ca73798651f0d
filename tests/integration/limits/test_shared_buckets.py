"""Token buckets shared through the database (aicall.db.limits): two `SharedBuckets` on their
own connections stand for two processes; time is a number the test moves."""

from __future__ import annotations

from aicall.db.engine import Database
from aicall.db.limits import SKEW_LIMIT, SharedBuckets

T0 = 1_800_000_000.0  # epoch seconds, in 2027: the magnitude real clocks give


def test_a_new_key_grants_its_burst_then_the_rate(db: Database) -> None:
    buckets = SharedBuckets(db)
    first = buckets.take("k", want=50, rate=10, burst=20, now=T0)
    assert first.granted == 20  # a full bucket: the burst, not the 50 asked
    assert buckets.take("k", want=5, rate=10, burst=20, now=T0).granted == 0
    assert buckets.take("k", want=5, rate=10, burst=20, now=T0 + 0.25).granted == 2  # 10/s for 0.25 s
    refused = buckets.take("k", want=1, rate=10, burst=20, now=T0 + 0.25)
    assert refused.granted == 0 and refused.ready_at > T0 + 0.25
    assert buckets.take("k", want=1, rate=10, burst=20, now=refused.ready_at).granted == 1


def test_two_processes_share_one_bucket(db: Database) -> None:
    other = Database(db.url)
    try:
        mine, theirs = SharedBuckets(db), SharedBuckets(other)
        granted = 0
        for step in range(1000):  # 10 simulated seconds, both asking more than the rate
            now = T0 + step * 0.01
            granted += mine.take("k", want=3, rate=20, burst=20, now=now).granted
            granted += theirs.take("k", want=3, rate=20, burst=20, now=now).granted
        # 20/s for 9.99 s, plus the burst; each process alone would have had as many.
        assert 20 * 9.99 + 20 - 1 <= granted <= 20 * 9.99 + 20
    finally:
        other.dispose()


def test_given_back_tokens_are_taken_again_but_never_past_a_full_bucket(db: Database) -> None:
    buckets = SharedBuckets(db)
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0).granted == 10
    buckets.give_back("k", count=4, rate=10, now=T0)  # a claim found 6 contacts
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0).granted == 4
    buckets.give_back("k", count=50, rate=10, now=T0 + 100)  # long idle: full, not fuller
    assert buckets.take("k", want=50, rate=10, burst=10, now=T0 + 100).granted == 10


def test_a_clock_behind_gets_fewer_tokens_never_more(db: Database) -> None:
    buckets = SharedBuckets(db)
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0).granted == 10
    # A host 2 s behind sees an empty bucket 3 s in its future: nothing, and the key's state
    # does not move back.
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0 - 2).granted == 0
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0 + 0.5).granted == 5


def test_a_clock_that_jumped_forward_and_back_does_not_block_the_key(db: Database) -> None:
    buckets = SharedBuckets(db)
    hour = 3600.0
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0 + hour).granted == 10  # jumped ahead
    # Back to the right time: the key looks empty (not full), then refills at the rate, instead
    # of refusing everything for an hour.
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0).granted == 0
    assert buckets.take("k", want=10, rate=10, burst=10, now=T0 + 0.3).granted == 3
    # Within SKEW_LIMIT it is a clock behind: refused until it catches up (previous test).
    assert hour > SKEW_LIMIT


def test_keys_are_independent(db: Database) -> None:
    buckets = SharedBuckets(db)
    assert buckets.take("a", want=5, rate=1, burst=5, now=T0).granted == 5
    assert buckets.take("b", want=5, rate=1, burst=5, now=T0).granted == 5
