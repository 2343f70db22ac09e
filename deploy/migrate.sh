#!/bin/sh
# The one-shot `migrate` service: schema (with the audit table's append-only trigger), static files, and a
# deployment check. The web and worker services start only after this exits 0.
set -eu

python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
python manage.py check --deploy --fail-level ERROR
