#!/usr/bin/env bash
# Installs the real Python client of Chat's REST API (tencentcloud-sdk-python-im, with tls-sig-api-v2 and
# requests) that test/rest-meter drives through the REST meter, into a virtualenv: .venv/ in the
# repository, or PYTHON_CLIENT_VENV. No root needed; needs Python 3 with its venv module (Debian:
# python3-venv) and PyPI.
#
# Every package is pinned by version and hash (test/rest-meter/python/*requirements.txt, installed with
# pip's --require-hashes). The virtualenv is made anew only when those files or the Python version
# change (a stamp inside it records them), so a second run takes a second. It prints the versions.
#
# Environment: PYTHON_CLIENT_VENV (default <repository>/.venv), PYTHON (default python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${PYTHON_CLIENT_VENV:-$root/.venv}
python=${PYTHON:-python3}
requirements_dir="$root/test/rest-meter/python"
stamp="$venv/.tencent-chat-exporter-requirements"

say() { echo "install-python-client: $*"; }
fail() {
  echo "install-python-client: $*" >&2
  exit 1
}

command -v "$python" >/dev/null || fail "$python not found: install Python 3 (Debian: apt-get install python3 python3-venv)"
python_version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
wanted="python $python_version; requirements $(cat "$requirements_dir/build-requirements.txt" "$requirements_dir/requirements.txt" | sha256sum | cut -d' ' -f1)"

imports_work() {
  "$venv/bin/python" -c 'import requests, TLSSigAPIv2, tencentcloud_im.tcim_client' 2>/dev/null
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && imports_work; then
  say "$venv is up to date"
else
  if [ -e "$venv" ]; then
    # Only a virtualenv is removed: PYTHON_CLIENT_VENV pointing at anything else is a mistake.
    [ -f "$venv/pyvenv.cfg" ] || fail "$venv exists and is not a virtualenv (no pyvenv.cfg): remove it or point PYTHON_CLIENT_VENV elsewhere"
    rm -rf "$venv"
  fi
  say "making $venv with Python $python_version"
  "$python" -m venv "$venv" ||
    fail "'$python -m venv' failed: install Python's venv module (Debian: apt-get install python3-venv)"
  pip=("$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --require-hashes)
  "${pip[@]}" -r "$requirements_dir/build-requirements.txt"
  "${pip[@]}" --no-build-isolation -r "$requirements_dir/requirements.txt"
  imports_work || fail "the client was installed into $venv but cannot be imported"
  echo "$wanted" >"$stamp"
fi

"$venv/bin/python" - <<'PY'
import sys
from importlib.metadata import version

packages = ["tencentcloud-sdk-python-im", "tls-sig-api-v2", "requests", "urllib3", "certifi", "charset-normalizer", "idna"]
print("install-python-client: Python %d.%d.%d; " % sys.version_info[:3] + ", ".join(f"{name} {version(name)}" for name in packages))
PY
