#!/usr/bin/env bash
# Installs Debian's chromium for the browser test (npm run test:browser), with apt-get.
# Never a downloaded browser build: playwright-core drives this system binary.
# Skips the install when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "setup-chromium: /usr/bin/chromium present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-chromium: apt-get not found; install Debian/Ubuntu's chromium package by hand so that /usr/bin/chromium exists" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium

if [ ! -x /usr/bin/chromium ]; then
  echo "setup-chromium: apt-get installed chromium but /usr/bin/chromium is missing" >&2
  exit 1
fi
echo "setup-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
