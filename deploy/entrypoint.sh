#!/bin/sh
# Container entry point for every DermReview service: refuse to start half-configured, then run the command.
set -eu

if [ "${DJANGO_SETTINGS_MODULE:-}" = "dermreview.settings.production" ] && [ -z "${DJANGO_SECRET_KEY:-}" ]; then
    echo "dermreview: DJANGO_SECRET_KEY is not set (see .env.example)" >&2
    exit 64
fi

exec "$@"
