#!/usr/bin/env bash
# The browser tests drive Debian's Chromium headless; install it when missing and we may (root with apt-get).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Debian's chromium and chromium-driver for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  exit 0
fi
echo "The browser tests need Chromium: run 'sudo apt-get install chromium chromium-driver' and try again." >&2
exit 1
