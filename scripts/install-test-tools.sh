#!/usr/bin/env bash
# Installs the real tools the tests run, on a fresh Debian machine. Needs root (or sudo) and Go.
#
# - Current releases, built from the Go module proxy at the versions pinned in tools/versions.env:
#   Prometheus 3.x and promtool, Alertmanager and amtool, helm and kustomize, into /usr/local/bin.
#   Each is rebuilt only when its pin (or the way this script builds it) changes, or when an installed
#   binary is missing or no longer the one built: a stamp beside the build records both.
# - From Debian's packages: Prometheus 2.x and Alertmanager 0.25 (/usr/bin), for the checks that the
#   alert rules still load on the older line, and chromium for the status page's browser test.
#
# A first run on a 2-core machine takes about half an hour, nearly all of it compiling Prometheus,
# helm and Alertmanager; later runs take seconds.
#
# Environment: TOOLS_BIN_DIR (default /usr/local/bin), TOOLS_BUILD_DIR (default
# /var/cache/tencent-chat-exporter/tools), SKIP_APT=1 to leave Debian's packages alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin_dir=${TOOLS_BIN_DIR:-/usr/local/bin}
build_dir=${TOOLS_BUILD_DIR:-/var/cache/tencent-chat-exporter/tools}
stamp_dir="$build_dir/stamps"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
started=$SECONDS

# --- Debian's packages -------------------------------------------------------------------------
install_debian_packages() {
  local missing=()
  [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || missing+=(prometheus)
  [ -x /usr/bin/prometheus-alertmanager ] && [ -x /usr/bin/amtool ] || missing+=(prometheus-alertmanager)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  # htpasswd: the bcrypt hashes of WEB_CONFIG_FILE tests are made the way its docs tell users to.
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install-test-tools: Debian packages present"
    return
  fi
  echo "install-test-tools: installing Debian packages: ${missing[*]}"
  local t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  # No init system here: keep the packages' services from starting (the tests start their own).
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ $had_policy -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ $had_policy -eq 1 ] || $sudo rm -f "$policy"
  echo "install-test-tools: Debian packages installed in $((SECONDS - t0)) s"
}

# --- Go-built tools ----------------------------------------------------------------------------
pin() {
  local line
  line=$(sed -n "s/^$1=//p" "$root/tools/versions.env")
  [ -n "$line" ] || {
    echo "install-test-tools: tools/versions.env has no $1=module@version line" >&2
    exit 1
  }
  echo "$line"
}

# The name `go build -o dir/` gives a package's binary: its last path element, skipping a major
# version suffix (sigs.k8s.io/kustomize/kustomize/v5 builds `kustomize`).
binary_name() {
  local pkg=${1%/v[0-9]*}
  [ "$pkg" != "$1" ] || pkg=$1
  basename "$pkg"
}

# Builds packages of one module at one version from a tools module of our own: `go install pkg@v`
# refuses modules whose go.mod has replace directives (Prometheus has some), so the tools module
# requires the module and repeats its replace directives. Dependencies resolve to the versions the
# module's own go.mod requires (minimal version selection), as in its release builds.
# Usage: build NAME MODULE VERSION LDFLAGS PACKAGE...
# The stamp holds the recipe (module, version, flags without the build date, this script's patches)
# and the checksums of the installed binaries: a new pin or recipe rebuilds, and so does a binary
# that is missing or was replaced.
build() {
  local name=$1 module=$2 version=$3 ldflags=$4
  shift 4
  local stamp="$stamp_dir/$name" pkg
  local recipe
  recipe="$module@$version $(echo "$ldflags" | sed -E 's/[Bb]uildDate=[^ ]*//') $( (declare -f "prepare_$name" || true) | cksum)"
  if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "$recipe" ] &&
    tail -n +2 "$stamp" | (cd "$bin_dir" && sha256sum --check --status 2>/dev/null); then
    echo "install-test-tools: $name $version already built"
    return
  fi
  echo "install-test-tools: building $name $version from the Go module proxy"
  local t0=$SECONDS work="$build_dir/$name-$version"
  $sudo mkdir -p "$work" "$stamp_dir"
  $sudo chown "$(id -u):$(id -g)" "$work" "$stamp_dir"
  (
    cd "$work"
    rm -rf go.mod go.sum bin
    printf 'module tencent-chat-exporter/tools/%s\n\ngo 1.26\n' "$name" >go.mod
    local upstream
    upstream=$(go mod download -json "$module@$version" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
    # Repeat the module's replace directives, single-line and block forms alike.
    awk '/^replace \(/{block=1} block{print} /^\)/{block=0} /^replace [^(]/{print}' "$upstream" >>go.mod
    if declare -F "prepare_$name" >/dev/null; then "prepare_$name" "$module" "$version"; fi
    local targets=()
    for pkg in "$@"; do targets+=("$pkg@$version"); done
    # Hundreds of "go: added" lines: kept in a file, shown when something fails.
    GOFLAGS=-mod=mod go get "${targets[@]}" >go-get.log 2>&1 || {
      cat go-get.log >&2
      exit 1
    }
    GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$work/bin/" "$@"
  )
  local sums=""
  for pkg in "$@"; do
    local binary
    binary=$(binary_name "$pkg")
    $sudo install -m 0755 "$work/bin/$binary" "$bin_dir/"
    sums+="$(cd "$bin_dir" && sha256sum "$binary")"$'\n'
  done
  printf '%s\n%s' "$recipe" "$sums" >"$stamp"
  echo "install-test-tools: built $name $version in $((SECONDS - t0)) s"
}

# Alertmanager embeds its web UI (ui/app/dist), which its Go module does not carry: upstream builds it
# with Node and Elm before releasing. Build from a copy of the module with a page there that says so;
# the API (/api/v2) and amtool, which the tests use, are complete.
prepare_alertmanager() {
  local module=$1 version=$2 dir ui
  dir=$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
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

# The commit a module version was tagged on, when the module proxy says (not every proxy does).
commit() {
  go mod download -json "$1@$2" | sed -n 's/^\t\t"Hash": "\([0-9a-f]*\)",\{0,1\}$/\1/p'
}

# The revision `--version` shows: the commit, else the tag that was built.
revision() {
  local hash
  hash=$(commit "$1" "$2")
  echo "${hash:-$2}"
}

# The version that `--version` prints, set as the projects' own release builds set it.
common_version_flags() {
  local v=github.com/prometheus/common/version
  echo "-X $v.Version=$1 -X $v.Revision=$2 -X $v.Branch=HEAD -X $v.BuildUser=tencent-chat-exporter -X $v.BuildDate=$3"
}

install_go_tools() {
  command -v go >/dev/null || {
    echo "install-test-tools: Go is needed to build the current Prometheus, Alertmanager, helm and kustomize" >&2
    exit 1
  }
  local date module version release
  date=$(date -u +%Y%m%d-%H:%M:%S)

  module=$(pin PROMETHEUS | cut -d@ -f1)
  version=$(pin PROMETHEUS | cut -d@ -f2)
  # Prometheus 3.x is tagged v0.3MM.P in Go: v0.316.0 is release 3.16.0.
  release=$(echo "$version" | sed -E 's/^v0\.3([0-9]{2})\.([0-9]+)$/3.\1.\2/; s/^3\.0([0-9])/3.\1/')
  build prometheus "$module" "$version" \
    "$(common_version_flags "$release" "$(revision "$module" "$version")" "$date")" \
    "$module/cmd/prometheus" "$module/cmd/promtool"

  module=$(pin ALERTMANAGER | cut -d@ -f1)
  version=$(pin ALERTMANAGER | cut -d@ -f2)
  build alertmanager "$module" "$version" \
    "$(common_version_flags "${version#v}" "$(revision "$module" "$version")" "$date")" \
    "$module/cmd/alertmanager" "$module/cmd/amtool"

  module=$(pin HELM | cut -d@ -f1)
  version=$(pin HELM | cut -d@ -f2)
  # As helm's Makefile does; a module zip is a clean tree.
  build helm "$module" "$version" \
    "-s -w -X $module/internal/version.version=$version -X $module/internal/version.gitCommit=$(commit "$module" "$version") -X $module/internal/version.gitTreeState=clean" \
    "$module/cmd/helm"

  module=$(pin KUSTOMIZE | cut -d@ -f1)
  version=$(pin KUSTOMIZE | cut -d@ -f2)
  build kustomize "$module" "$version" \
    "-X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version -X sigs.k8s.io/kustomize/api/provenance.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$module"
}

[ "${SKIP_APT:-0}" = 1 ] || install_debian_packages
install_go_tools

echo "install-test-tools: versions"
"$bin_dir/prometheus" --version 2>&1 | head -1
"$bin_dir/promtool" --version 2>&1 | head -1
"$bin_dir/alertmanager" --version 2>&1 | head -1
"$bin_dir/amtool" --version 2>&1 | head -1
echo "helm $("$bin_dir/helm" version --short)"
echo "kustomize $("$bin_dir/kustomize" version)"
[ -x /usr/bin/promtool ] && echo "Debian: $(/usr/bin/promtool --version 2>&1 | head -1)"
[ -x /usr/bin/prometheus-alertmanager ] && echo "Debian: $(/usr/bin/prometheus-alertmanager --version 2>&1 | head -1)"
command -v chromium >/dev/null && chromium --version 2>/dev/null | head -1 || true
echo "install-test-tools: done in $((SECONDS - started)) s"
