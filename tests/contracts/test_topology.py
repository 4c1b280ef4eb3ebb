"""common.topology lists every subscription; it must match the handlers the services really have,
or an event could be published before a queue exists for it (and be lost)."""
import importlib

from nameko.events import EventHandler

from common.config import SERVICES
from common.events import all_event_types
from common.messaging import ReliableEventHandler
from common.topology import SUBSCRIPTIONS, Subscription
from hubstack.stack import service_class


def declared_handlers() -> set[Subscription]:
    found = set()
    for service in SERVICES:
        module_name, class_name = service_class(service).split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        for name in dir(cls):
            for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
                if not isinstance(entrypoint, EventHandler):
                    continue
                assert isinstance(entrypoint, ReliableEventHandler), (
                    f"{service}.{name} uses a plain nameko handler, which drops failed events")
                found.add(Subscription(service, entrypoint.source_service, entrypoint.event_type))
    return found


def test_topology_lists_exactly_the_handlers_the_services_have():
    assert declared_handlers() == set(SUBSCRIPTIONS)


def test_every_subscription_is_to_a_published_event_contract():
    published = {(e.source, e.event_type) for e in all_event_types()}
    for sub in SUBSCRIPTIONS:
        assert (sub.source, sub.event_type) in published, sub


def test_contact_details_go_only_to_the_notifications_service():
    consumers = {s.consumer for s in SUBSCRIPTIONS
                 if (s.source, s.event_type) in {("accounts", "contact_details_changed"),
                                                 ("documents", "case_opened"), ("documents", "case_replied")}}
    assert consumers == {"notifications"}


def test_queue_names_match_nameko_service_pool_naming():
    sub = Subscription("notifications", "accounts", "person_registered")
    assert sub.queue_name == "evt-accounts-person_registered--notifications.handle_person_registered"


def test_every_rpc_method_settles_its_deliveries_safely():
    """A plain nameko @rpc acknowledges on nameko's own QueueConsumer, which dies on an ack over a
    reset connection (common.messaging): every service's RPC methods use common.messaging.rpc."""
    from nameko.rpc import Rpc

    from common.messaging import ReliableRpc, SettlingQueueConsumer

    methods = 0
    for service in SERVICES:
        module_name, class_name = service_class(service).split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        for name in dir(cls):
            for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, Rpc):
                    assert isinstance(entrypoint, ReliableRpc), f"{service}.{name} uses nameko.rpc's @rpc"
                    assert isinstance(entrypoint.rpc_consumer.queue_consumer, SettlingQueueConsumer)
                    methods += 1
    assert methods > 50  # every service's RPCs were found, the standard ones (common.health) among them
