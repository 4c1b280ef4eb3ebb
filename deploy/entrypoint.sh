#!/bin/sh
# One image, many roles: `entrypoint.sh gateway` or `entrypoint.sh <service>`.
# `exec` makes the Hub process PID 1, so `docker stop` (SIGTERM) reaches it directly.
set -eu

# Only silences eventlet's import-time deprecation banner.
export EVENTLET_TESTS=1

usage() {
    echo "usage: entrypoint.sh gateway|accounts|rosters|documents|training|notifications" >&2
    exit 2
}

[ $# -eq 1 ] || usage

case "$1" in
    gateway)
        export HUB_HOST="${HUB_HOST:-0.0.0.0}" HUB_PORT="${HUB_PORT:-8080}"
        exec python -m gateway
        ;;
    accounts)      class=AccountsService ;;
    rosters)       class=RostersService ;;
    documents)     class=DocumentsService ;;
    training)      class=TrainingService ;;
    notifications) class=NotificationsService ;;
    *)             usage ;;
esac

exec nameko run --config "/app/services/$1/config.yml" "$1.service:$class"
