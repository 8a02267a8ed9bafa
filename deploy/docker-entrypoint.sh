#!/bin/sh
# The image's entrypoint. Options alone (the image's CMD, a compose `command:` of --host/--port/--role)
# run the server; anything else is an alerthub command, so that
#   docker compose run --rm alert-system tokens create --scope admin --name ops
# runs `alerthub tokens create ...`, not `alerthub serve tokens create ...`.
# The server waits for a first token or user rather than exiting: under `restart:` an exit would loop.
set -eu
case "${1:-}" in
  "" | -*) exec alerthub serve --wait-for-credentials "$@" ;;
  *) exec alerthub "$@" ;;
esac
