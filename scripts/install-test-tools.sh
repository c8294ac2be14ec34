#!/usr/bin/env bash
# Installs the real tools the end-to-end tests run: Prometheus with promtool, Alertmanager with amtool
# (Debian's packages), and kubectl (Debian's kubernetes-client) when none is on PATH. Needs root or sudo.
set -euo pipefail

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v promtool >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || command -v alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v amtool >/dev/null || missing+=(prometheus-alertmanager)
command -v kubectl >/dev/null || missing+=(kubernetes-client)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-tools: prometheus, promtool, alertmanager, amtool and kubectl are present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
echo "install-test-tools: installing $packages"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $packages
# The Debian packages try to start their services; there is no init system here, and the tests
# start their own instances on loopback ports.
