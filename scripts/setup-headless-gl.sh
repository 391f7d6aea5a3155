#!/usr/bin/env bash
# Makes gpu.js's 'headlessgl' mode available in Node: installs the Debian packages that
# the optional dependency `gl` (8.1.6, pulled in by gpu.js) needs to compile and run,
# then compiles it from the source that `npm ci` left in node_modules/gl.
#
# Why a script: `gl`'s own install step first downloads a prebuilt binary (impossible
# offline) and then compiles, which needs the packages below; the root package.json
# denies that step (`"allowScripts": { "gl": false }`) so `npm ci` is the same fast,
# deterministic install everywhere, and this script does the build on purpose.
#
# Idempotent: re-running it re-checks the packages and rebuilds only when the addon is
# missing or does not load. Needs root (or sudo) for apt-get. Run after `npm ci`.
# Usage: bash scripts/setup-headless-gl.sh [--no-apt] [--force]
set -euo pipefail
cd "$(dirname "$0")/.."

APT=1
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --no-apt) APT=0 ;;
    --force) FORCE=1 ;;
    *) echo "setup-headless-gl: unknown argument '$arg' (expected --no-apt or --force)" >&2; exit 2 ;;
  esac
done

# Build: compiler, python for node-gyp, X11 headers gl links against.
# Run: Xvfb (xvfb-run, xauth) for a display, Mesa's llvmpipe (DRI + GLX) to render in software.
PACKAGES=(build-essential python3 pkg-config libx11-dev libxext-dev libxi-dev libgl-dev
  xvfb xauth libgl1-mesa-dri libglx-mesa0)

log() { echo "[setup-headless-gl] $*"; }
t0=$(date +%s)

if [ "$APT" = 1 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else log "not root and no sudo: cannot apt-get install ${PACKAGES[*]}"; exit 1; fi
  fi
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "Debian packages already installed"
  fi
fi

if [ ! -f node_modules/gl/binding.gyp ]; then
  log "node_modules/gl is missing: run 'npm ci' first (gl is an optional dependency of gpu.js)"
  exit 1
fi

loads() { (cd node_modules/gl && node -e "require('bindings')('webgl')" >/dev/null 2>&1); }

if [ "$FORCE" = 0 ] && [ -f node_modules/gl/build/Release/webgl.node ] && loads; then
  log "gl already built: node_modules/gl/build/Release/webgl.node"
else
  # Node's own headers: Debian's nodejs ships them under /usr/include/node; otherwise
  # next to the running node binary. Never let node-gyp download them (offline).
  NODEDIR=""
  for d in "${npm_config_nodedir:-}" /usr "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -n "$d" ] && [ -f "$d/include/node/common.gypi" ]; then NODEDIR="$d"; break; fi
  done
  if [ -z "$NODEDIR" ]; then log "no Node headers found (include/node/common.gypi); install them or set npm_config_nodedir"; exit 1; fi
  GYP=node_modules/node-gyp/bin/node-gyp.js
  [ -f "$GYP" ] || GYP=node_modules/gl/node_modules/node-gyp/bin/node-gyp.js
  mkdir -p .tmp
  log "compiling gl with node-gyp against $NODEDIR (a few minutes)"
  (cd node_modules/gl && JOBS="${JOBS:-$(nproc)}" node "../../$GYP" rebuild --nodedir="$NODEDIR" --jobs="${JOBS:-$(nproc)}" >../../.tmp/gl-build.log 2>&1) || {
    log "gl build failed; last lines of the log:"; tail -40 .tmp/gl-build.log; exit 1; }
  rm -f .tmp/gl-build.log
  loads || { log "gl built but does not load"; exit 1; }
fi

log "done in $(( $(date +%s) - t0 ))s; run GL tests under a display: xvfb-run -a npm run test:gpu:gl"
