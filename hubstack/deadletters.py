"""Inspect and replay events that failed every retry (parked by common.messaging).

    python -m hubstack.deadletters list                 # parked queues with their counts
    python -m hubstack.deadletters show QUEUE [-n 10]   # peek: headers, last error, body
    python -m hubstack.deadletters replay QUEUE         # move them back to the handler's queue

QUEUE is the handler's queue name (with or without the `.parked` suffix). Replaying resets the
attempt count; handlers are idempotent, so a replayed event that was in fact applied is ignored.
"""
from __future__ import annotations

import argparse
import json

from common import config as hub_config
from common.messaging import ATTEMPTS_HEADER, ERROR_HEADER
from common.topology import SUBSCRIPTIONS, connect, declare_topology


def _names(queue: str) -> tuple[str, str]:
    main = queue.removesuffix(".parked")
    return main, main + ".parked"


def counts(amqp_uri: str) -> dict[str, int]:
    result = {}
    with connect(amqp_uri) as connection:
        channel = connection.channel()
        for sub in SUBSCRIPTIONS:
            _, count, _ = channel.queue_declare(sub.parked_queue_name, passive=True)
            result[sub.queue_name] = count
    return result


def peek(amqp_uri: str, queue: str, limit: int = 10) -> list[dict]:
    """Read without consuming: the messages are returned to the queue afterwards."""
    _, parked = _names(queue)
    seen = []
    with connect(amqp_uri) as connection:
        channel = connection.channel()
        messages = []
        for _ in range(limit):
            message = channel.basic_get(parked, no_ack=False)
            if message is None:
                break
            messages.append(message)
            seen.append({"attempts": message.headers.get(ATTEMPTS_HEADER),
                         "last_error": message.headers.get(ERROR_HEADER),
                         "body": _text(message.body)})
        for message in messages:
            channel.basic_reject(message.delivery_tag, requeue=True)
    return seen


def _text(body) -> str:
    return body if isinstance(body, str) else body.decode(errors="replace")


def replay(amqp_uri: str, queue: str) -> int:
    """Move every parked message back to its handler's queue; returns how many moved."""
    main, parked = _names(queue)
    moved = 0
    with connect(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        producer = connection.Producer(channel)
        while True:
            message = channel.basic_get(parked, no_ack=False)
            if message is None:
                return moved
            headers = {k: v for k, v in (message.headers or {}).items()
                       if k not in (ATTEMPTS_HEADER, ERROR_HEADER)}
            producer.publish(message.body, exchange="", routing_key=main, headers=headers,
                             content_type=message.content_type,
                             content_encoding=message.content_encoding, delivery_mode=2)
            channel.basic_ack(message.delivery_tag)  # only after the broker confirmed the copy
            moved += 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hubstack.deadletters")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list")
    show = sub.add_parser("show")
    show.add_argument("queue")
    show.add_argument("-n", type=int, default=10)
    again = sub.add_parser("replay")
    again.add_argument("queue")
    args = parser.parse_args(argv)
    amqp_uri = hub_config.amqp_uri()
    declare_topology(amqp_uri)
    if args.command == "list":
        for name, count in counts(amqp_uri).items():
            print(f"{count:6d}  {name}")
    elif args.command == "show":
        print(json.dumps(peek(amqp_uri, args.queue, args.n), indent=2))
    else:
        print(f"replayed {replay(amqp_uri, args.queue)} message(s) to {_names(args.queue)[0]}")


if __name__ == "__main__":
    main()
