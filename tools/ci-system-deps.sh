#!/usr/bin/env bash
# Install the Debian packages the tests need: Chromium and its driver, and fonts that can draw
# Japanese text in screenshots (tests/test_browser.py); bubblewrap, the sandbox each submission
# is graded in (cnnlab/grading/sandbox/, tests/test_sandbox.py).
#
# Run as root on Debian 12:   bash tools/ci-system-deps.sh
# Idempotent: when everything is already installed it only checks and exits within a second,
# without touching the network.
set -euo pipefail

PACKAGES=(chromium chromium-driver fonts-noto-cjk bubblewrap)

missing=()
for pkg in "${PACKAGES[@]}"; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "ci-system-deps: already installed: ${PACKAGES[*]}"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "ci-system-deps: missing ${missing[*]}; run this script as root (or with sudo)" >&2
    exit 1
fi

echo "ci-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# Make the new fonts visible to Chromium straight away.
if command -v fc-cache >/dev/null; then
    fc-cache -f >/dev/null 2>&1 || true
fi
/usr/bin/chromium --version
bwrap --version
