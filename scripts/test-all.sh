#!/usr/bin/env bash
# The whole test suite on a machine that may not have its tools yet: installs what is missing (the
# real Prometheus, Alertmanager, helm, kustomize and Kubernetes control plane the tests run, built from
# the Go module proxy at the versions of tools/versions.env, and Debian's packages), the npm packages,
# then runs `npm test`. It is `npm run test:all`, and what CI runs (.ci/run).
#
# Needs root or sudo (Debian packages, /usr/local/bin), Go and Node 20.19+. The first run takes about
# 40 minutes on two cores, nearly all of it compiling the tools; later runs only the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-tools.sh

# Whatever else the tests need made before they run goes here, after the tools (which it may use).

npm ci --no-audit --no-fund
npm test
