"""Who listens to what: every event queue in the Hub, declared before anyone publishes.

Plain nameko declares a handler's queue only when that handler's service starts, so an event
published earlier is routed nowhere and silently dropped. Every service therefore declares, when
it starts (`declare_topology`), the queues of every subscription to its own events as well as
its own, and the outbox relay publishes with `mandatory` so a message that still reaches no
queue is noticed. What a service declares is also all its broker user may configure
(hubstack.broker_users); tools and tests (no HUB_SERVICE in their config) declare everything.

A test (tests/contracts/test_topology.py) checks this table against the handlers the service
classes really have, so the two cannot drift apart.

For each subscription there are three durable queues:
- the handler's queue, named exactly as nameko names it (so nameko consumes from it);
- `<queue>.retry`: failed deliveries wait here for a delay, then dead-letter back to the queue;
- `<queue>.parked`: deliveries that failed every retry, for an operator to inspect and replay.
"""
from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue
from nameko.standalone.events import get_event_exchange

from common import config as hub_config


@dataclass(frozen=True)
class Subscription:
    consumer: str   # service name
    source: str     # producing service
    event_type: str

    @property
    def method(self) -> str:
        return f"handle_{self.event_type}"

    @property
    def queue_name(self) -> str:
        # nameko's SERVICE_POOL naming (nameko/events.py), so scaled-out replicas compete
        return f"evt-{self.source}-{self.event_type}--{self.consumer}.{self.method}"

    @property
    def retry_queue_name(self) -> str:
        return self.queue_name + ".retry"

    @property
    def parked_queue_name(self) -> str:
        return self.queue_name + ".parked"


SUBSCRIPTIONS: tuple[Subscription, ...] = (
    Subscription("notifications", "accounts", "person_registered"),
    Subscription("notifications", "accounts", "contact_details_changed"),
    Subscription("rosters", "accounts", "person_registered"),
    Subscription("documents", "accounts", "person_registered"),
    Subscription("training", "accounts", "person_registered"),
    Subscription("notifications", "accounts", "invitation_sent"),
    Subscription("notifications", "accounts", "password_reset_requested"),
    Subscription("notifications", "accounts", "account_claimed"),
    Subscription("accounts", "notifications", "email_failed"),
    Subscription("accounts", "rosters", "application_started"),
    Subscription("accounts", "rosters", "placed_on_roster"),
    Subscription("rosters", "documents", "document_reviewed"),
    Subscription("rosters", "documents", "document_expired"),
    Subscription("notifications", "documents", "document_reviewed"),
    Subscription("notifications", "documents", "document_expired"),
    # the locals and classifications a person applied for: staff filter the review queue by them
    Subscription("documents", "rosters", "application_started"),
    Subscription("rosters", "training", "course_completed"),
    Subscription("rosters", "training", "completion_expired"),
    Subscription("rosters", "training", "enrolled"),
    Subscription("notifications", "rosters", "placed_on_roster"),
    Subscription("notifications", "rosters", "suspended"),
    Subscription("notifications", "rosters", "reinstated"),
    Subscription("notifications", "rosters", "group_advanced"),
    Subscription("notifications", "rosters", "extension_decided"),
    Subscription("notifications", "rosters", "removed"),
    Subscription("notifications", "rosters", "deadline_approaching"),
    # a first verified work day unlocks training: the one status change with no event of its own
    Subscription("notifications", "rosters", "status_changed"),
    # Contact Us cases: they carry an anonymous sender's address, so notifications only
    Subscription("notifications", "documents", "case_opened"),
    Subscription("notifications", "documents", "case_replied"),
    # the training service's own copy of each person's classification records: what they may take
    Subscription("training", "rosters", "application_started"),
    Subscription("training", "rosters", "status_changed"),
    Subscription("training", "rosters", "placed_on_roster"),
    Subscription("training", "rosters", "suspended"),
    Subscription("training", "rosters", "reinstated"),
    Subscription("training", "rosters", "group_advanced"),
    # the person hears of their enrollments, seats, completions and lapses
    Subscription("notifications", "training", "enrolled"),
    Subscription("notifications", "training", "promoted_from_waitlist"),
    Subscription("notifications", "training", "course_completed"),
    Subscription("notifications", "training", "completion_expired"),
    # who applied for which local / classification: safety bulletins are targeted by them
    Subscription("notifications", "rosters", "application_started"),
)


def subscription_for(consumer: str, source: str, event_type: str) -> Subscription:
    return Subscription(consumer, source, event_type)


def queues_for(sub: Subscription, config: dict) -> list[Queue]:
    exchange = get_event_exchange(sub.source, config)
    main = Queue(sub.queue_name, exchange=exchange, routing_key=sub.event_type,
                 durable=True, auto_delete=False, exclusive=False)
    retry = Queue(sub.retry_queue_name, durable=True, queue_arguments={
        # expired messages go back to the handler's queue through the default exchange
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": sub.queue_name,
    })
    parked = Queue(sub.parked_queue_name, durable=True)
    return [main, retry, parked]


def consumed_by(service: str) -> tuple[Subscription, ...]:
    return tuple(sub for sub in SUBSCRIPTIONS if sub.consumer == service)


def published_to(service: str) -> tuple[Subscription, ...]:
    """The subscriptions to `service`'s own events (their queues must exist before it publishes)."""
    return tuple(sub for sub in SUBSCRIPTIONS if sub.source == service)


def exchanges_of(service: str | None) -> list[str]:
    """Event exchange sources one service declares (None, for tools and tests: all of them)."""
    if service is None:
        return sorted({sub.source for sub in SUBSCRIPTIONS} | _producers())
    own = {service} & (_producers() | {sub.source for sub in SUBSCRIPTIONS})
    return sorted(own | {sub.source for sub in consumed_by(service)})


def queues_of(service: str | None, config: dict) -> list[Queue]:
    """The queues one service declares, which is also all its broker user may configure
    (hubstack.broker_users): all three queues of what it consumes, and the main queue of every
    subscription to its own events, so nothing it publishes is dropped. None: every queue."""
    if service is None:
        return [queue for sub in SUBSCRIPTIONS for queue in queues_for(sub, config)]
    queues = [queue for sub in consumed_by(service) for queue in queues_for(sub, config)]
    queues += [queues_for(sub, config)[0] for sub in published_to(service)
               if sub.consumer != service]
    return queues


def declare_topology(amqp_uri: str, config: dict | None = None) -> None:
    """Declares the event exchanges and queues. A service started by hubstack.launch has
    HUB_SERVICE in its config and declares only its part (its broker user may do no more)."""
    config = config or {}
    service = config.get("HUB_SERVICE") or None
    with connect(amqp_uri, config, connect_timeout=10) as connection:
        channel = connection.channel()
        for source in exchanges_of(service):
            get_event_exchange(source, config)(channel).declare()
        for queue in queues_of(service, config):
            queue(channel).declare()
        channel.close()


def connect(amqp_uri: str, config: dict | None = None, **kwargs) -> Connection:
    """A kombu connection with TLS options when the URI is amqps:// (common.config.amqp_ssl)."""
    ssl_options = hub_config.amqp_ssl({**(config or {}), "AMQP_URI": amqp_uri})
    return Connection(amqp_uri, ssl=ssl_options or False, **kwargs)


def _producers() -> set[str]:
    from common.events import all_event_types
    return {event.source for event in all_event_types()}


def broker_reachable(amqp_uri: str, timeout: float = 3.0, config: dict | None = None) -> bool:
    try:
        with connect(amqp_uri, config, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def event_exchange(source: str, config: dict | None = None) -> Exchange:
    return get_event_exchange(source, config or {})
