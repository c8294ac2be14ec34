#!/usr/bin/env bash
# Installs the real tools the tests run, on a fresh Debian machine. Needs root (or sudo), and Go and Node
# when something has to be built.
#
# - Built from the Go module proxy at the versions pinned in tools/versions.env, into TOOLS_BIN_DIR:
#   Prometheus 3.x and promtool, Alertmanager and amtool, helm, kustomize, and for the cluster tests a
#   Kubernetes control plane without nodes (kube-apiserver, kube-controller-manager, kubectl, etcd).
# - Fetched from the Go module proxy, not built: the Prometheus Operator's CRDs (ServiceMonitor,
#   PodMonitor, PrometheusRule) of the pinned release, into TOOLS_BUILD_DIR/prometheus-operator-crds.
# - From Debian's packages: Prometheus 2.x and Alertmanager 0.25 (/usr/bin), for the checks that the
#   alert rules still load on the older line; chromium for the status page's browser test; openssl,
#   curl and htpasswd; nginx, the incumbent the benchmarks compare the REST meter with.
#
# Whether a tool is built is decided from the pins and this script alone, with no network call: a stamp
# beside each build records its recipe (the pin and the functions here that say how it is built) and the
# checksums of the binaries installed. A new pin or recipe rebuilds it, and so does a binary that is
# missing or was replaced; anything else is kept.
#
# A first run on a quiet 2-core machine takes about 35 minutes, nearly all of it compiling (Prometheus,
# helm and Alertmanager about 25, the Kubernetes control plane about 7); later runs take seconds.
#
# Usage: install-test-tools.sh [STEP...]   Runs the given steps (default: all of STEPS below, in order).
# Environment: TOOLS_BIN_DIR (default /usr/local/bin), TOOLS_BUILD_DIR (default
# /var/cache/tencent-chat-exporter/tools), SKIP_APT=1 to leave Debian's packages alone.
set -euo pipefail
shopt -s inherit_errexit
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${TOOLS_BIN_DIR:-/usr/local/bin}
build_dir=${TOOLS_BUILD_DIR:-/var/cache/tencent-chat-exporter/tools}
stamp_dir="$build_dir/stamps"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
started=$SECONDS

# One step per family of tools, run in this order; each is the function step_NAME below.
STEPS=(debian_packages prometheus alertmanager helm kustomize kubernetes etcd prometheus_operator_crds)

say() { echo "install-test-tools: $*"; }
fail() {
  echo "install-test-tools: $*" >&2
  exit 1
}

# Whatever this script puts in place only for its own run is removed on any exit, failures included.
cleanups=()
run_cleanups() {
  local cleanup
  for cleanup in "${cleanups[@]}"; do eval "$cleanup" || true; done
}
trap run_cleanups EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Debian's packages -------------------------------------------------------------------------
step_debian_packages() {
  if [ "${SKIP_APT:-0}" = 1 ]; then
    say "SKIP_APT=1: Debian packages left alone"
    return
  fi
  local missing=()
  [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || missing+=(prometheus)
  [ -x /usr/bin/prometheus-alertmanager ] && [ -x /usr/bin/amtool ] || missing+=(prometheus-alertmanager)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  # htpasswd: the bcrypt hashes of WEB_CONFIG_FILE tests are made the way its docs tell users to.
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  # nginx: the incumbent the bench's REST meter suite (which the quick bench's test runs) measures against.
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    local t0=$SECONDS policy=/usr/sbin/policy-rc.d
    export DEBIAN_FRONTEND=noninteractive
    # No init system here: keep the packages' services from starting (the tests start their own).
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
      cleanups+=("$sudo rm -f $policy")
      $sudo chmod +x "$policy"
    fi
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    say "Debian packages installed in $((SECONDS - t0)) s"
  else
    say "Debian packages present"
  fi
  say "Debian: $(/usr/bin/promtool --version 2>&1 | sed -n 1p)"
  say "Debian: $(/usr/bin/prometheus-alertmanager --version 2>&1 | sed -n 1p)"
  say "Debian: $(chromium --version 2>/dev/null | sed -n 1p)"
  say "Debian: $(/usr/sbin/nginx -v 2>&1 | sed -n 1p)"
}

# --- Pins, Go and the module proxy -------------------------------------------------------------
# A line of tools/versions.env: `pin HELM` prints helm.sh/helm/v4@v4.3.2.
pin() {
  local line
  line=$(sed -n "s/^$1=//p" "$root/tools/versions.env")
  [ -n "$line" ] || fail "tools/versions.env has no $1= line"
  echo "$line"
}
pin_module() { pin "$1" | cut -d@ -f1; }
pin_version() { pin "$1" | cut -d@ -f2; }

# 0 when Go version $1 (1.26.7, go1.26.7) is at least $2.
go_version_at_least() {
  [ "$(printf '%s\n%s\n' "${2#go}" "${1#go}" | sort -V | head -1)" = "${2#go}" ]
}

# Go and Node, checked once, before the first build: the Go of tools/versions.env's GO line (the newest
# `go` line among the pinned modules' go.mod files), and Node for reading Go's JSON.
go_checked=0
require_go() {
  [ $go_checked -eq 0 ] || return 0
  command -v go >/dev/null || fail "Go $(pin GO) or newer is needed to build the tools pinned in tools/versions.env"
  command -v node >/dev/null || fail "Node is needed to read the Go module proxy's answers"
  local have need
  have=$(go env GOVERSION)
  need=$(pin GO)
  go_version_at_least "$have" "$need" ||
    fail "the tools pinned in tools/versions.env need Go $need or newer; this machine's go is $have"
  go_checked=1
}

# One field of `go mod download -json MODULE@VERSION`, by a dotted path (GoMod, Dir, Origin.Hash), or
# nothing when the proxy does not give it. Downloads the module into Go's module cache if need be.
module_field() {
  local json
  json=$(go mod download -json "$1@$2") || true
  [ -n "$json" ] || fail "go mod download $1@$2 failed"
  printf '%s' "$json" | node -e '
    const answer = JSON.parse(require("node:fs").readFileSync(0, "utf8"))
    if (answer.Error) {
      console.error(`install-test-tools: ${answer.Error}`)
      process.exit(1)
    }
    const value = process.argv[1].split(".").reduce((object, key) => object?.[key], answer)
    process.stdout.write(value === undefined ? "" : String(value))
  ' "$3"
}

# The commit a module version was tagged on when the module proxy says (not every proxy does), else the
# version itself: what `--version` shows as the revision.
revision() {
  local hash
  hash=$(module_field "$1" "$2" Origin.Hash)
  echo "${hash:-$2}"
}

# --- Building from the Go module proxy ---------------------------------------------------------
# The name `go build -o dir/` gives a package's binary: its last path element, skipping a major
# version suffix (sigs.k8s.io/kustomize/kustomize/v5 builds `kustomize`).
binary_name() {
  local base
  base=$(basename "$1")
  if [[ $base =~ ^v[0-9]+$ ]]; then basename "$(dirname "$1")"; else echo "$base"; fi
}

# The replace directives of a module's go.mod that still hold outside its repository: those that
# point to another module (single-line and block forms), not those that point into its own tree.
default_replaces() {
  awk '/^replace \(/{block=1; next} block && /^\)/{block=0; next}
       block {print "replace " $0; next} /^replace [^(]/{print}' "$1" |
    awk '$NF !~ /^\.\.?\//'
}

# Builds packages of one module at one version from a tools module of our own: `go install pkg@v`
# refuses modules whose go.mod has replace directives, so the tools module requires the module and
# repeats what its replace directives mean outside its repository. Dependencies resolve to the versions
# the module's own go.mod requires (minimal version selection), as in its release builds.
#
# Usage: build NAME MODULE VERSION PACKAGE[=BINARY]...
# Hooks, each optional, named after NAME: flags_NAME MODULE VERSION prints the -ldflags (called only
# when building, so it may ask the module proxy); replaces_NAME GOMOD VERSION prints the replace
# directives (default: default_replaces); prepare_NAME MODULE VERSION changes the tools module.
# The stamp holds the recipe (the pin, the packages and the hooks' code) and the checksums of the
# installed binaries.
build() {
  local name=$1 module=$2 version=$3
  shift 3
  local stamp="$stamp_dir/$name" recipe spec
  recipe="$module@$version $* $( (declare -f "flags_$name" "replaces_$name" "prepare_$name" || true) | cksum)"
  if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "$recipe" ] &&
    tail -n +2 "$stamp" | (cd "$bin_dir" && sha256sum --check --status 2>/dev/null); then
    say "$name $version already built"
    return
  fi
  require_go
  say "building $name $version from the Go module proxy"
  local t0=$SECONDS work="$build_dir/$name-$version"
  $sudo mkdir -p "$work" "$stamp_dir" "$bin_dir"
  $sudo chown "$(id -u):$(id -g)" "$work" "$stamp_dir"
  (
    cd "$work"
    rm -rf go.mod go.sum bin
    local upstream needs packages=() targets=() ldflags=""
    upstream=$(module_field "$module" "$version" GoMod)
    needs=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream")
    go_version_at_least "$(go env GOVERSION)" "${needs:-1}" ||
      fail "$module@$version needs Go $needs, this machine's go is $(go env GOVERSION): raise GO= in tools/versions.env and install it"
    printf 'module tencent-chat-exporter/tools/%s\n\ngo %s\n\n' "$name" "${needs:-1.26}" >go.mod
    if declare -F "replaces_$name" >/dev/null; then
      "replaces_$name" "$upstream" "$version" >>go.mod
    else
      default_replaces "$upstream" >>go.mod
    fi
    if declare -F "prepare_$name" >/dev/null; then "prepare_$name" "$module" "$version"; fi
    if declare -F "flags_$name" >/dev/null; then ldflags=$("flags_$name" "$module" "$version"); fi
    for spec in "$@"; do
      packages+=("${spec%%=*}")
      targets+=("${spec%%=*}@$version")
    done
    # Hundreds of "go: added" lines: kept in a file, shown when something fails.
    GOFLAGS=-mod=mod go get "${targets[@]}" >go-get.log 2>&1 || {
      cat go-get.log >&2
      exit 1
    }
    GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "${packages[@]}"
  )
  local sums="" binary
  for spec in "$@"; do
    binary=$(binary_name "${spec%%=*}")
    [ "$spec" = "${spec%%=*}" ] || binary=${spec#*=}
    $sudo install -m 0755 "$work/bin/$(binary_name "${spec%%=*}")" "$bin_dir/$binary"
    sums+="$(cd "$bin_dir" && sha256sum "$binary")"$'\n'
  done
  printf '%s\n%s' "$recipe" "$sums" >"$stamp"
  say "built $name $version in $((SECONDS - t0)) s"
}

# The version that `--version` prints, set as the Prometheus projects' own release builds set it.
common_version_flags() {
  local v=github.com/prometheus/common/version
  echo "-X $v.Version=$1 -X $v.Revision=$2 -X $v.Branch=HEAD -X $v.BuildUser=tencent-chat-exporter -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
}

# --- Prometheus 3.x and promtool ---------------------------------------------------------------
# Prometheus 3.x is tagged v0.3MM.P in Go: v0.316.0 is release 3.16.0.
prometheus_release() {
  echo "$1" | sed -E 's/^v0\.3([0-9]{2})\.([0-9]+)$/3.\1.\2/; s/^3\.0([0-9])/3.\1/'
}
flags_prometheus() { common_version_flags "$(prometheus_release "$2")" "$(revision "$1" "$2")"; }
step_prometheus() {
  local module version
  module=$(pin_module PROMETHEUS)
  version=$(pin_version PROMETHEUS)
  build prometheus "$module" "$version" "$module/cmd/prometheus" "$module/cmd/promtool"
  "$bin_dir/prometheus" --version 2>&1 | sed -n 1p
  "$bin_dir/promtool" --version 2>&1 | sed -n 1p
}

# --- Alertmanager and amtool -------------------------------------------------------------------
flags_alertmanager() { common_version_flags "${2#v}" "$(revision "$1" "$2")"; }
# Alertmanager embeds its web UI (ui/app/dist), which its Go module does not carry: upstream builds it
# with Node and Elm before releasing. Build from a copy of the module with a page there that says so;
# the API (/api/v2) and amtool, which the tests use, are complete.
prepare_alertmanager() {
  local module=$1 version=$2 dir ui
  dir=$(module_field "$module" "$version" Dir)
  rm -rf src
  cp -R "$dir" src
  chmod -R u+w src
  for ui in elm mantine; do
    mkdir -p "src/ui/app/dist/$ui"
    printf '<!doctype html><title>Alertmanager</title><p>This Alertmanager was built from its Go module, without its web UI. The API is at <a href="/api/v2/status">/api/v2</a>.</p>\n' \
      >"src/ui/app/dist/$ui/index.html"
  done
  echo "replace $module $version => ./src" >>go.mod
}
step_alertmanager() {
  local module version
  module=$(pin_module ALERTMANAGER)
  version=$(pin_version ALERTMANAGER)
  build alertmanager "$module" "$version" "$module/cmd/alertmanager" "$module/cmd/amtool"
  "$bin_dir/alertmanager" --version 2>&1 | sed -n 1p
  "$bin_dir/amtool" --version 2>&1 | sed -n 1p
}

# --- helm --------------------------------------------------------------------------------------
# As helm's Makefile does; a module zip is a clean tree.
flags_helm() {
  local v=$1/internal/version
  echo "-s -w -X $v.version=$2 -X $v.gitCommit=$(module_field "$1" "$2" Origin.Hash) -X $v.gitTreeState=clean"
}
step_helm() {
  local module version
  module=$(pin_module HELM)
  version=$(pin_version HELM)
  build helm "$module" "$version" "$module/cmd/helm"
  echo "helm $("$bin_dir/helm" version --short)"
}

# --- kustomize ---------------------------------------------------------------------------------
flags_kustomize() {
  local v=sigs.k8s.io/kustomize/api/provenance
  echo "-X $v.version=kustomize/$2 -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
step_kustomize() {
  local module version
  module=$(pin_module KUSTOMIZE)
  version=$(pin_version KUSTOMIZE)
  build kustomize "$module" "$version" "$module"
  echo "kustomize $("$bin_dir/kustomize" version)"
}

# --- Kubernetes: kube-apiserver, kube-controller-manager, kubectl -------------------------------
# k8s.io/kubernetes replaces each k8s.io/* library with its own staging/ tree; outside its repository
# the same code is the library's published v0.MINOR.PATCH of the same release (v1.37.2: v0.37.2).
replaces_kubernetes() {
  sed -n "s#^\t\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*\$#replace \1 => \1 v0.${2#v1.}#p" "$1"
}
# The release stamped as Kubernetes' own build does (hack/lib/version.sh): built plainly, the servers
# report v0.0.0-master and helm refuses charts that require a Kubernetes version.
flags_kubernetes() {
  local major minor pkg flags="-s -w" commit
  IFS=. read -r major minor _ <<<"${2#v}"
  commit=$(module_field "$1" "$2" Origin.Hash)
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$2 -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    [ -z "$commit" ] || flags+=" -X $pkg.gitCommit=$commit"
  done
  echo "$flags"
}
step_kubernetes() {
  local module version
  module=$(pin_module KUBERNETES)
  version=$(pin_version KUBERNETES)
  build kubernetes "$module" "$version" \
    "$module/cmd/kube-apiserver" "$module/cmd/kube-controller-manager" "$module/cmd/kubectl"
  echo "kube-apiserver $("$bin_dir/kube-apiserver" --version)"
  echo "kube-controller-manager $("$bin_dir/kube-controller-manager" --version)"
  echo "kubectl $("$bin_dir/kubectl" version --client -o json | node -e 'process.stdout.write(JSON.parse(require("node:fs").readFileSync(0, "utf8")).clientVersion.gitVersion)')"
}

# --- etcd --------------------------------------------------------------------------------------
# The server module is itself etcd's main package (its directory is named server, the binary etcd).
flags_etcd() { echo "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$(revision "$1" "$2")"; }
step_etcd() {
  local module version
  module=$(pin_module ETCD)
  version=$(pin_version ETCD)
  build etcd "$module" "$version" "$module=etcd"
  "$bin_dir/etcd" --version | sed -n 1p
}

# --- Prometheus Operator CRDs ------------------------------------------------------------------
# The CustomResourceDefinitions of the monitors and rules the chart and the manifests create, as the
# pinned release ships them (example/prometheus-operator-crd), for the cluster tests to install. The
# STAMP file's first line names the release, the others are the files' checksums.
step_prometheus_operator_crds() {
  local module version dest="$build_dir/prometheus-operator-crds" dir kind
  module=$(pin_module PROMETHEUS_OPERATOR)
  version=$(pin_version PROMETHEUS_OPERATOR)
  if [ "$(head -1 "$dest/STAMP" 2>/dev/null)" = "$module@$version" ] &&
    tail -n +2 "$dest/STAMP" | (cd "$dest" && sha256sum --check --status 2>/dev/null); then
    say "Prometheus Operator CRDs $version present"
    return
  fi
  require_go
  dir=$(module_field "$module" "$version" Dir)
  $sudo mkdir -p "$dest"
  $sudo chown "$(id -u):$(id -g)" "$dest"
  rm -f "$dest"/*.yaml "$dest/STAMP"
  for kind in servicemonitors podmonitors prometheusrules; do
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_$kind.yaml" "$dest/"
  done
  chmod 0644 "$dest"/*.yaml
  { echo "$module@$version" && (cd "$dest" && sha256sum -- *.yaml); } >"$dest/STAMP"
  say "Prometheus Operator CRDs $version copied to $dest"
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=("${STEPS[@]}")
for step in "${steps[@]}"; do
  declare -F "step_$step" >/dev/null || fail "no step $step; the steps are: ${STEPS[*]}"
  "step_$step"
done
say "done in $((SECONDS - started)) s"
