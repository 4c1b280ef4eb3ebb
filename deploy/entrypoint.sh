#!/bin/sh
# One image, many roles: `entrypoint.sh gateway`, `entrypoint.sh <service>` or
# `entrypoint.sh broker-init` (compose's one-shot: broker TLS certificates and users).
# `exec` makes the Hub process PID 1, so `docker stop` (SIGTERM) reaches it directly.
# hubstack.launch checks HUB_TIMEZONE and the TLS files, then runs the gateway or
# `nameko run` with the service's config (plus AMQP_SSL for amqps://).
set -eu

# Only silences eventlet's import-time deprecation banner.
export EVENTLET_TESTS=1

usage() {
    echo "usage: entrypoint.sh gateway|accounts|rosters|documents|training|notifications|inbound-mail|broker-init" >&2
    exit 2
}

[ $# -eq 1 ] || usage

case "$1" in
    gateway)
        export HUB_HOST="${HUB_HOST:-0.0.0.0}" HUB_PORT="${HUB_PORT:-8080}"
        exec python -m hubstack.launch gateway
        ;;
    accounts|rosters|documents|training|notifications)
        exec python -m hubstack.launch "$1" --config "/app/services/$1/config.yml"
        ;;
    inbound-mail)
        # the documents mailbox's SMTP server (documents.inbound_mail), as the documents broker user
        export HUB_INBOUND_SMTP_HOST="${HUB_INBOUND_SMTP_HOST:-0.0.0.0}"
        exec python -m documents.inbound_mail
        ;;
    broker-init)
        exec python -m hubstack.broker_users init "${HUB_BROKER_DIR:-/etc/hub-broker}"
        ;;
    *)  usage ;;
esac
