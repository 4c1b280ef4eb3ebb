"""Issue 13, broker faults: the services and the gateway's RPC pool reach RabbitMQ through a
fault-injecting proxy (tests/support/fault_proxy.py, in the role toxiproxy plays in nameko's own
test-suite), which cuts connections mid-publish, mid-consume and mid-RPC, adds latency and stands
in for a broker restart.

Counted as Jepsen counts: every event sent is compared with what the consuming handler APPLIED
(a row per application, deliberately not unique, so a second application would show): lost,
duplicated and unexpected must all be zero. Redeliveries on the wire are expected and counted
separately (`deliveries`); the project's `event_handler` + `first_delivery` must absorb them.
Every RPC caller gets an answer or ServiceUnavailable within its timeout plus a margin, never a
hang (each call runs under an outer eventlet.Timeout that fails the test).

A real `rabbitmqctl stop_app` would disturb everyone else's tests on the shared broker, so the
restart is the proxy refusing connections for a few seconds with every open one cut; the queued
messages stay in the broker's durable queues meanwhile.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlparse

import eventlet
import pytest
import sqlalchemy as sa
from accounts.service import AccountsService
from eventlet.event import Event as GreenEvent
from gateway.rpc import RpcPool
from kombu import Connection, Exchange
from nameko.rpc import rpc
from sqlalchemy.orm import Mapped, mapped_column

from common import config as hub_config
from common import confirmed_batch
from common.confirmed_batch import Outgoing, publish_confirmed
from common.db import Database, create_engine_for, make_base
from common.errors import ServiceUnavailable
from common.events.accounts import PersonRegistered
from common.idempotency import first_delivery
from common.messaging import event_handler
from common.publisher import outbox_row
from common.topology import Subscription, event_exchange, queues_for
from tests.integration.test_reliability import make_registered
from tests.support.databases import service_sessions
from tests.support.fault_proxy import DOWNSTREAM, UPSTREAM, FaultProxy
from tests.support.waiting import wait_until

pytestmark = pytest.mark.broker

PROBE = Subscription("probe", "accounts", "person_registered")
RPC_TIMEOUT = 3.0
RPC_MARGIN = 3.0   # on top of the caller's timeout: reconnecting, discarding a broken proxy
OUTAGE_SECONDS = 3.0


# --- a consumer that records every application ---------------------------------------------------

ProbeBase = make_base()


class Applied(ProbeBase):
    __tablename__ = "probe_applied"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)  # not unique: on purpose
    applied_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ProbeDatabase(Database):
    def setup(self):
        super().setup()
        self.base.metadata.create_all(self.engine)


class Hold:
    """Parks chosen workers until the test has done its damage: the next `arm(n)` deliveries
    wait after their transaction committed and before nameko acknowledges them."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.armed = 0
        self.held: list[str] = []
        self._release = GreenEvent()

    def arm(self, count: int = 1):
        self._release = GreenEvent()
        self.armed = count

    def maybe_wait(self, key: str):
        if self.armed > 0:
            self.armed -= 1
            self.wait(key)

    def wait(self, key: str):
        self.held.append(key)
        self._release.wait()

    def release(self):
        if not self._release.ready():
            self._release.send(True)


HOLD = Hold()
DELIVERIES: list[str] = []   # every event id the probe's handler was called with, duplicates and all


class ProbeService:
    name = "probe"
    db = ProbeDatabase(ProbeBase, migrate=False)

    @event_handler("accounts", "person_registered")
    def handle_person_registered(self, payload: dict) -> None:
        DELIVERIES.append(payload["event_id"])
        event = PersonRegistered.model_validate(payload)
        if first_delivery(self.db, event, "probe.handle_person_registered"):
            self.db.add(Applied(event_id=event.event_id, applied_at=datetime.now(UTC)))
            self.db.commit()
        HOLD.maybe_wait(str(event.event_id))


class EchoService:
    name = "faults_echo"

    @rpc
    def echo(self, value, hold: bool = False):
        if hold:
            HOLD.wait(str(value))
        return value


# --- fixtures and counting ----------------------------------------------------------------------

@pytest.fixture
def proxy(request, broker_available):
    broker = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    fault_proxy = FaultProxy((broker.hostname or "127.0.0.1", broker.port or 5672)).start()
    HOLD.clear()
    DELIVERIES.clear()
    yield fault_proxy
    HOLD.release()
    fault_proxy.stop()


@pytest.fixture
def proxied(service_config, proxy):
    """The services' config with the broker replaced by the proxy (same vhost)."""
    config = {**service_config, "AMQP_URI": proxy.uri_for(service_config["AMQP_URI"])}
    with Connection(service_config["AMQP_URI"]) as connection:
        channel = connection.channel()
        for queue in queues_for(PROBE, service_config):  # the probe's retry and parked queues too
            queue(channel).declare()
    return config


@pytest.fixture
def start(container_factory, proxy):
    """Starts a service container; kills them all before the proxy goes (nameko 2.14 cannot kill
    a container whose consumer is retrying a connection to a broker that is not there)."""
    started = []

    def start_service(service_cls, config):
        container = container_factory(service_cls, config)
        container.start()
        started.append(container)
        return container

    yield start_service
    HOLD.release()
    for container in started:
        container.kill()


def applied_ids(config) -> list[str]:
    engine = create_engine_for(hub_config.db_url("probe", config))
    try:
        with engine.connect() as connection:
            return [str(value) for value in connection.execute(sa.select(Applied.event_id)).scalars()]
    finally:
        engine.dispose()


def queue_depth(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(name, passive=True).message_count


def publish_events(amqp_uri: str, events: list[PersonRegistered]) -> None:
    """Straight to the broker (not through the proxy), all confirmed."""
    exchange = event_exchange("accounts").name
    outcomes = publish_confirmed(amqp_uri, [
        Outgoing(key=str(e.event_id), exchange=exchange, routing_key=e.event_type, payload=e.model_dump_json())
        for e in events])
    assert sorted(outcomes.values()) == ["delivered"] * len(events)


def add_to_outbox(config, events: list[PersonRegistered]) -> None:
    """Committed events the accounts service's relay will find, as if its workers wrote them."""
    sessions = service_sessions("accounts", config)
    with sessions() as session:
        for event in events:
            session.add(outbox_row(session.info["base"], event))
        session.commit()
    sessions.kw["bind"].dispose()


def outbox_pending(config) -> int:
    sessions = service_sessions("accounts", config)
    with sessions() as session:
        outbox = session.info["base"].OutboxMessage
        pending = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(outbox.sent_at.is_(None)))
    sessions.kw["bind"].dispose()
    return pending


def drained(config, container) -> bool:
    """Nothing left for the probe: its queues are empty and no worker is running."""
    uri = config["AMQP_URI"]
    return (not container._worker_threads and queue_depth(uri, PROBE.queue_name) == 0
            and queue_depth(uri, PROBE.retry_queue_name) == 0)


@dataclass
class Tally:
    """Jepsen's count of one scenario: what was sent against what was applied."""
    scenario: str
    sent: list[str]
    applied: list[str]
    notes: dict = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return len(set(self.sent) - set(self.applied))

    @property
    def duplicated(self) -> int:
        return len(self.applied) - len(set(self.applied))

    @property
    def unexpected(self) -> int:
        return len(set(self.applied) - set(self.sent))

    def line(self) -> str:
        notes = " ".join(f"{k}={v}" for k, v in self.notes.items())
        return (f"[broker-faults] {self.scenario}: sent={len(self.sent)} applied={len(self.applied)} "
                f"lost={self.lost} duplicated={self.duplicated} unexpected={self.unexpected} {notes}").rstrip()

    def check(self, capsys) -> None:
        with capsys.disabled():
            print("\n" + self.line())
        assert (self.lost, self.duplicated, self.unexpected) == (0, 0, 0), self.line()


def tally_events(scenario, config, container, sent_events, **notes) -> Tally:
    sent = [str(e.event_id) for e in sent_events]
    wait_until(lambda: set(applied_ids(config)) >= set(sent), timeout=45,
               message=f"every event of {scenario} to be applied")
    wait_until(lambda: drained(config, container), timeout=20, message="the probe to drain its queue")
    container.stop()  # waits for any worker still running: nothing can be applied after the count
    applied = applied_ids(config)
    assert queue_depth(config["AMQP_URI"], PROBE.parked_queue_name) == 0, "an event was parked"
    return Tally(scenario, sent, applied, {"deliveries": len(DELIVERIES), **notes})


# --- RPC calls that must end, one way or the other -------------------------------------------------

@dataclass
class CallOutcome:
    kind: str          # "answer", "unavailable", "hung", "wrong" or "error:<class>"
    seconds: float


STUCK: list = []  # greenthreads of calls that outlived their guard
ANYTHING = object()


def guarded_call(pool: RpcPool, service: str, method: str, *args, expected=ANYTHING, **kwargs) -> CallOutcome:
    """One call in a greenthread of its own, awaited under an outer eventlet.Timeout: a call still
    running past the caller's timeout plus the margin counts as hung (and is left behind in
    STUCK rather than interrupted, since interrupting it could hang again in its own cleanup)."""
    started = time.monotonic()
    call = eventlet.spawn(pool.call, service, method, *args, **kwargs)
    try:
        with eventlet.Timeout(pool.timeout + RPC_MARGIN):
            answer = call.wait()
        kind = "answer" if expected is ANYTHING or answer == expected else "wrong"
    except eventlet.Timeout:
        STUCK.append(call)
        kind = "hung"
    except ServiceUnavailable:
        kind = "unavailable"
    except Exception as exc:  # noqa: BLE001 - counted and reported: neither an answer nor a timeout
        kind = f"error:{type(exc).__name__}"
    return CallOutcome(kind, time.monotonic() - started)


def echo(pool: RpcPool, value: str, hold: bool = False) -> CallOutcome:
    return guarded_call(pool, "faults_echo", "echo", value, hold=hold, expected=value)


def rpc_summary(scenario: str, outcomes: list[CallOutcome], capsys, bound: float = RPC_TIMEOUT + RPC_MARGIN):
    kinds = [o.kind for o in outcomes]
    counts = {k: kinds.count(k) for k in sorted(set(kinds))}
    slowest = max((o.seconds for o in outcomes), default=0)
    line = (f"[broker-faults] {scenario}: calls={len(outcomes)} answered={counts.get('answer', 0)} "
            f"unavailable={counts.get('unavailable', 0)} hung={counts.get('hung', 0)} "
            f"wrong={counts.get('wrong', 0)} errors={sum(v for k, v in counts.items() if k.startswith('error'))} "
            f"slowest={slowest:.1f}s {counts}")
    with capsys.disabled():
        print("\n" + line)
    assert set(kinds) <= {"answer", "unavailable"}, line
    assert slowest <= bound, line


# --- 1. mid-publish ------------------------------------------------------------------------------

def test_relay_cut_mid_publish_again_and_again_loses_and_duplicates_nothing(
        proxy, proxied, start, service_config, capsys):
    """The accounts service relays through the proxy; each wave of outbox rows is cut once, at a
    different byte: inside the published frames (upstream) or among the broker's confirms
    (downstream). Unconfirmed rows go out again; the copies the broker did get are duplicates on
    the wire, which the consumer must not apply twice."""
    probe = start(ProbeService, service_config)  # the consumer is not behind the proxy
    start(AccountsService, proxied)
    cuts = [(UPSTREAM, 5_000), (DOWNSTREAM, 45), (UPSTREAM, 21_000), (DOWNSTREAM, 59), (UPSTREAM, 37_000)]
    sent = []
    for number, (direction, offset) in enumerate(cuts, start=1):
        wave = [make_registered() for _ in range(120)]
        proxy.cut_after(offset, direction)
        add_to_outbox(proxied, wave)
        sent += wave
        wait_until(lambda n=number: proxy.cuts == n, timeout=20, message=f"cut {number} ({direction} {offset})")
        wait_until(lambda: outbox_pending(proxied) == 0, timeout=20, message="the relay to recover")
    tally = tally_events("mid-publish", service_config, probe, sent, cuts=proxy.cuts, bytes_up=proxy.bytes[UPSTREAM])
    tally.check(capsys)
    assert len(DELIVERIES) >= len(sent)


# --- 2. mid-consume ------------------------------------------------------------------------------

def test_consumer_cut_mid_consume_applies_every_event_once(proxy, proxied, start,
                                                          service_config, capsys):
    """The probe consumes through the proxy. In each wave one handler has committed and is cut
    before its ack (so the broker redelivers an event already applied); other waves are cut
    mid-frame, in a delivery or in the acks."""
    probe = start(ProbeService, proxied)
    uri = service_config["AMQP_URI"]
    sent = []
    for _ in range(3):  # the ack lost after the commit
        wave = [make_registered() for _ in range(60)]
        held = len(HOLD.held)
        HOLD.arm(1)
        publish_events(uri, wave)
        sent += wave
        wait_until(lambda h=held: len(HOLD.held) > h, timeout=20, message="a handler holding an applied event")
        proxy.reset()
        HOLD.release()
        wait_until(lambda w=wave: set(applied_ids(service_config)) >= {str(e.event_id) for e in w}, timeout=30,
                   message="the wave to be applied after the cut")
    for direction, offset in ((DOWNSTREAM, 7_000), (UPSTREAM, 120)):  # mid-frame
        wave = [make_registered() for _ in range(60)]
        cuts = proxy.cuts
        proxy.cut_after(offset, direction)
        publish_events(uri, wave)
        sent += wave
        wait_until(lambda c=cuts: proxy.cuts > c, timeout=20, message=f"the {direction} cut")
    tally = tally_events("mid-consume", service_config, probe, sent, cuts=proxy.cuts)
    tally.check(capsys)
    not_redelivered = [key for key in HOLD.held if DELIVERIES.count(key) < 2]
    assert not not_redelivered, "a held event whose ack was lost was not delivered again"


# --- 3. mid-RPC ----------------------------------------------------------------------------------

def consumers_of(amqp_uri: str, queue: str) -> int:
    with Connection(amqp_uri) as connection:
        return connection.channel().queue_declare(queue, passive=True).consumer_count


def test_rpc_callers_cut_mid_call_get_an_answer_or_a_timeout_never_a_hang(
        proxy, proxied, start, service_config, capsys):
    """The gateway's RpcPool and the service both reach the broker through the proxy. Six calls
    are parked inside the service, then: every connection is reset; a reply is cut mid-frame; the
    broker goes away for a few seconds. Then calls are made while it is away. Each call must end
    with its answer or ServiceUnavailable within the timeout plus a margin; afterwards all answer."""
    start(EchoService, proxied)
    pool = RpcPool(proxied["AMQP_URI"], size=6, timeout=RPC_TIMEOUT)
    try:
        assert pool.call("faults_echo", "echo", "warm") == "warm"

        def parked_calls(name, damage) -> list[CallOutcome]:
            HOLD.clear()
            calls = [eventlet.spawn(echo, pool, f"{name}{i}", hold=True) for i in range(6)]
            wait_until(lambda: len(HOLD.held) >= 6, timeout=10, message="six calls inside the service")
            damage()
            HOLD.release()
            outcomes = [call.wait() for call in calls]
            rpc_summary(f"mid-rpc {name}", outcomes, capsys)
            return outcomes

        def outage():
            proxy.down()
            eventlet.sleep(OUTAGE_SECONDS)  # the length of the outage, not a wait for anything
            proxy.up()

        parked_calls("reset", proxy.reset)
        cuts = proxy.cuts
        parked_calls("reply-cut-mid-frame", lambda: proxy.cut_after(40, DOWNSTREAM))
        assert proxy.cuts == cuts + 1
        parked_calls("broker-away", outage)

        proxy.down()
        during = list(eventlet.GreenPool(6).imap(lambda i: echo(pool, f"away{i}"), range(6)))
        proxy.up()
        rpc_summary("mid-rpc called-while-away", during, capsys)
        assert {o.kind for o in during} == {"unavailable"}

        # back to normal once the service has reconnected: every call answers
        wait_until(lambda: consumers_of(service_config["AMQP_URI"], "rpc-faults_echo") > 0, timeout=30,
                   message="the service to consume its requests again")
        after = list(eventlet.GreenPool(6).imap(lambda i: echo(pool, f"after{i}"), range(12)))
        rpc_summary("mid-rpc recovered", after, capsys)
        assert {o.kind for o in after} == {"answer"}
    finally:
        pool.close()


def test_rpc_callers_facing_a_stalled_broker_get_a_timeout_not_a_hang(proxy, proxied, start, capsys):
    """The broker stops answering without closing anything (toxiproxy's `timeout` toxic, which
    nameko's own tests use): calls on pooled proxies and on new ones must still end in time."""
    start(EchoService, proxied)
    pool = RpcPool(proxied["AMQP_URI"], size=4, timeout=RPC_TIMEOUT)
    try:
        assert {o.kind for o in eventlet.GreenPool(2).imap(lambda i: echo(pool, f"warm{i}"), range(2))} == {"answer"}
        STUCK.clear()
        proxy.stall()
        try:
            outcomes = list(eventlet.GreenPool(4).imap(lambda i: echo(pool, f"stalled{i}"), range(4)))
        finally:
            proxy.unstall()
            # the calls that outlived their guard finish once the broker answers again
            wait_until(lambda: all(call.dead for call in STUCK), timeout=30, message="stuck calls to end")
        rpc_summary("stalled-broker rpc", outcomes, capsys)
    finally:
        pool.close()
        # the callers got their timeouts; the calls behind them end once the broker answers
        # again: let them finish here, not in the next test's logs
        pool._guards.shutdown(wait=True)


def test_a_batch_on_a_black_holed_connection_ends_in_time_and_the_next_one_gets_through(proxy, service_config):
    """A partition the broker forgot: the relay's pooled connection stays open but nothing comes
    back, ever (no reset). The batch on it must end within its timeout as not confirmed, and the
    next batch must not wait on that connection again (opening a channel on it would never end)."""
    uri = proxy.uri_for(service_config["AMQP_URI"])
    exchange = "faults-blackhole"
    with Connection(service_config["AMQP_URI"]) as connection:  # straight to the broker
        Exchange(exchange, type="topic", durable=True)(connection.channel()).declare()

    def batch(key: str) -> dict[str, str]:
        return publish_confirmed(uri, [Outgoing(key=key, exchange=exchange, routing_key="faults.nobody",
                                                payload={"n": key})], timeout=2)

    assert batch("before") == {"before": "unrouted"}  # confirmed; the connection is now pooled
    assert proxy.blackhole() >= 1
    started = time.monotonic()
    with eventlet.Timeout(15):  # a hang fails here, not at the suite's timeout
        with pytest.raises(OSError):
            batch("into-the-void")  # nothing confirmed: an error, so the relay backs off
        assert batch("after") == {"after": "unrouted"}  # a new connection
    assert time.monotonic() - started < 10


def test_the_relay_recovers_from_a_black_holed_connection_by_itself(
        proxy, proxied, start, service_config, capsys, monkeypatch):
    """The same through the accounts service's outbox relay: events written after its connection
    went silent are all delivered, once, without anyone restarting anything."""
    monkeypatch.setattr(confirmed_batch, "CONFIRM_TIMEOUT_SECONDS", 2.0)
    probe = start(ProbeService, service_config)  # the consumer is not behind the proxy
    start(AccountsService, proxied)
    before = [make_registered() for _ in range(20)]
    add_to_outbox(proxied, before)
    wait_until(lambda: outbox_pending(proxied) == 0, timeout=20, message="the relay to publish the first wave")
    silenced = proxy.blackhole()
    try:
        after = [make_registered() for _ in range(20)]
        add_to_outbox(proxied, after)
        wait_until(lambda: outbox_pending(proxied) == 0, timeout=30,
                   message="the relay to get past the silent connection")
        tally = tally_events("black-holed relay", service_config, probe, before + after, silenced=silenced,
                             connections=proxy.accepted)
    finally:
        # the service's own consumers sit on silent connections too, and nameko cannot kill a
        # container whose consumer waits on one: the partition ends (connections reset) first
        proxy.reset()
    tally.check(capsys)


# --- 4. latency ----------------------------------------------------------------------------------

def test_200ms_latency_slows_rpcs_and_events_but_breaks_nothing(proxy, proxied, start,
                                                                 service_config, capsys, caplog):
    """200 ms on every chunk either way, for the relay, the consumer, the service and the pool
    (whose proxies were connected beforehand): slower, nothing lost, nothing repeated, no error."""
    probe = start(ProbeService, proxied)
    start(AccountsService, proxied)
    start(EchoService, proxied)
    pool = RpcPool(proxied["AMQP_URI"], size=4, timeout=10)
    try:
        warm = list(eventlet.GreenPool(4).imap(lambda i: echo(pool, f"warm{i}"), range(4)))
        assert {o.kind for o in warm} == {"answer"}
        caplog.set_level("WARNING")
        proxy.set_latency(0.2)
        started = time.monotonic()
        events = [make_registered() for _ in range(100)]
        add_to_outbox(proxied, events)
        outcomes = list(eventlet.GreenPool(4).imap(lambda i: echo(pool, f"slow{i}"), range(8)))
        outcomes.append(guarded_call(pool, "accounts", "health"))
        rpc_summary("latency rpc", outcomes, capsys, bound=pool.timeout)
        assert {o.kind for o in outcomes} == {"answer"}
        assert max(o.seconds for o in outcomes) >= 0.6, "the latency did not apply"
        tally = tally_events("latency", service_config, probe, events, took=f"{time.monotonic() - started:.1f}s")
        tally.check(capsys)
        assert len(DELIVERIES) == len(events), "an event was delivered twice though nothing was cut"
    finally:
        pool.close()
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [f"{r.name}: {r.getMessage()}" for r in errors]


# --- 5. broker restart with messages queued --------------------------------------------------------

def test_broker_restart_with_messages_queued_loses_and_duplicates_nothing(
        proxy, proxied, start, service_config, capsys):
    """The probe consumes and the accounts relay publishes through the proxy. The 'broker' goes
    away while a handler holds an applied event and while 80 events wait in the durable queue;
    meanwhile 80 more are committed to the outbox and 80 published straight to the broker. After
    it comes back the consumer and the relay reconnect by themselves and everything is applied
    exactly once."""
    probe = start(ProbeService, proxied)
    start(AccountsService, proxied)
    uri = service_config["AMQP_URI"]

    queued = [make_registered() for _ in range(80)]
    HOLD.arm(1)   # the first delivery holds an applied event unacknowledged across the restart
    publish_events(uri, queued)
    wait_until(lambda: HOLD.held and HOLD.armed == 0, timeout=20, message="a handler holding an event")

    proxy.down()
    during_outbox = [make_registered() for _ in range(80)]
    during_direct = [make_registered() for _ in range(80)]
    add_to_outbox(proxied, during_outbox)
    publish_events(uri, during_direct)
    HOLD.release()
    eventlet.sleep(OUTAGE_SECONDS)   # the length of the outage, not a wait for anything
    depth = queue_depth(uri, PROBE.queue_name)
    assert depth >= len(during_direct), "the messages were not queued while the broker was away"
    assert outbox_pending(proxied) == len(during_outbox)
    refused = proxy.refused
    assert refused > 0, "nobody tried to reconnect during the outage"
    proxy.up()

    sent = queued + during_outbox + during_direct
    tally = tally_events("broker-restart", service_config, probe, sent, queued_at_restart=depth,
                         refused_reconnects=refused)
    tally.check(capsys)
    assert outbox_pending(proxied) == 0
    assert DELIVERIES.count(HOLD.held[0]) >= 2, "the event held across the restart was not redelivered"

