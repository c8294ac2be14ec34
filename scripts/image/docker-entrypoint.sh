#!/bin/sh
# The entrypoint of the assembled node base image, with the official image's behaviour: the command runs
# as given, unless it would not run as a command (an option such as `-e`, a name that is not on PATH,
# a script without its executable bit): then node runs it. No arguments at all start node.
set -e
case "${1-}" in
  -*) set -- node "$@" ;;
  *)
    if [ -z "$(command -v "${1-}")" ] || { [ -f "${1-}" ] && [ ! -x "${1-}" ]; }; then
      set -- node "$@"
    fi
    ;;
esac
exec "$@"
