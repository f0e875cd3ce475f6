#!/usr/bin/env bash
# Installs the browser the live view's test (test/integration/dashboard.test.ts) drives, when missing:
#   chromium           Debian's Chromium (/usr/bin/chromium), run headless by playwright-core
#   fonts-dejavu-core  a font, so that the page's text renders in the test's screenshots
#
#   scripts/install-browser.sh          -> installs what is missing (apt-get; needs root)
#   scripts/install-browser.sh --check  -> exits 1 naming what is missing, installs nothing
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
exec "$here/lib/install-debian-packages.sh" install-browser "$@" -- chromium fonts-dejavu-core
