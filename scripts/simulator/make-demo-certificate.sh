#!/bin/sh
# Makes the demo Chat's self-signed certificate for the docker-compose demo, once: fake-chat.crt (which the
# exporter trusts through CHAT_REST_CA_FILE) and fake-chat.key, for the name fake-chat (and localhost, to
# try it outside Compose), in the folder given.
# Run by the chat-certificate service (Alpine, which installs openssl first); any machine with openssl can
# run it too.
#
#   sh scripts/simulator/make-demo-certificate.sh <folder>
set -eu
dir="${1:?usage: make-demo-certificate.sh <folder>}"
if [ -s "$dir/fake-chat.crt" ] && [ -s "$dir/fake-chat.key" ]; then
  exit 0
fi
command -v openssl >/dev/null 2>&1 || apk add --no-cache openssl >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
  -subj /CN=fake-chat -addext subjectAltName=DNS:fake-chat,DNS:localhost,IP:127.0.0.1 \
  -keyout "$dir/fake-chat.key" -out "$dir/fake-chat.crt" 2>/dev/null
# The exporter reads the certificate as an unprivileged user; the key stays the demo Chat's (root's).
chmod 0644 "$dir/fake-chat.crt"
