#!/usr/bin/env bash
# The whole test suite on a machine that may not have what it needs yet, and what CI runs (.ci/run):
# `npm run test:all`. Installs what is missing, then runs `npm test`:
#   1. the real tools the tests run (Prometheus, Alertmanager, helm, kustomize, a Kubernetes control
#      plane; built from the Go module proxy at the versions of tools/versions.env) and Debian's packages;
#   2. the npm packages (npm ci);
#   3. the real Python client of Chat's REST API, in a virtualenv;
#   4. the container image, with Debian's podman.
# Each step keeps what is already there at the right version, so a second run goes straight to the tests.
#
# Needs a Debian or Ubuntu machine, root or sudo, Go (tools/versions.env's GO= line or newer), Node
# 20.19+ and Python 3 with venv. The first run takes about 40 minutes on two cores, nearly all of it
# compiling the tools.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-tools.sh
npm ci --no-audit --no-fund
bash scripts/install-python-client.sh
bash scripts/build-image.sh
npm test
