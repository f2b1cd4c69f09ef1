#!/usr/bin/env bash
# Installs everything regurgitate needs on a fresh Debian machine, then the package
# itself (npm ci: dependencies, the native addon, the TypeScript build), then the optional
# CUDA module when nvcc is present (scripts/build-cuda.sh). Idempotent:
# Debian packages are installed only when missing, and apt-get update runs only then.
#
#   bash scripts/setup.sh && npx regurgitate demo
#   bash scripts/setup.sh && npm test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages: the C++ toolchain for the addon, python3 for node-gyp, and PyTorch,
# numpy and OpenBLAS for the reference model and the peer benchmarks; cmake for the
# separate CUDA build; the built-in bible corpus (docs/data.md): mod2imp from
# libsword-utils and the public-domain SWORD modules World English Bible and
# Reina-Valera 1909; the Apertium rule-based MT system with its Spanish-English data,
# a generator of the study and the reference system of `regurgitate eval --apertium`;
# chromium, headless, renders the report's figures to PNG and is how tests/report
# checks that report.html really displays; redis-server is the queue of studies on
# several machines (tests/experiments/queue.test.ts starts its own on a free port).
PKGS=(build-essential python3 cmake python3-numpy python3-torch libopenblas0-pthread
  libsword-utils sword-text-web sword-text-sparv apertium apertium-eng-spa chromium redis-server)

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'; }

if command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} > 0)); then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      say "installing Debian packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      say "warning: missing Debian packages: ${missing[*]}"
      say "         install them with: sudo apt-get install ${missing[*]}"
    fi
  else
    say "Debian packages present: ${PKGS[*]}"
  fi
else
  say "not a Debian system: make sure g++, make, python3 (and for the peer benchmarks numpy and torch) are installed"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "error: Node.js >= 20 with npm is required (https://nodejs.org)"
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
  say "error: Node.js >= 20 is required (found $(node --version))"
  exit 1
fi

# Build the addon against the machine's own Node headers when they are installed, so
# node-gyp needs no download.
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node_api.h ]]; then
  export npm_config_nodedir=/usr
fi
export JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"

# node-gyp-build keeps an existing build/Release/regurgitate.node if it loads; rebuild
# when any native source is newer than it.
addon=build/Release/regurgitate.node
if [[ -f "$addon" ]] && [[ -n "$(find native binding.gyp scripts/gyp-sources.cjs -newer "$addon" -print -quit 2>/dev/null)" ]]; then
  say "native sources changed since the last build: rebuilding the addon"
  export npm_config_build_from_source=true
fi

say "npm ci (dependencies, native addon, TypeScript build)"
npm ci --no-audit --no-fund

if ! node -e "require('./build/Release/regurgitate.node')" >/dev/null 2>&1; then
  say "the addon did not build or does not load; rebuilding it from source"
  npm run build:native
fi
# The optional CUDA module (docs/cuda.md): built whenever nvcc is found, so CI (nvcc, no
# GPU) compiles it and a CUDA compile error fails setup; skipped, with the reason, when
# nvcc is absent. After npm ci, whose node-gyp rebuild empties build/.
bash scripts/build-cuda.sh

node dist/cli/main.js doctor >/dev/null 2>&1 && say "ok: $(node dist/cli/main.js --version), native addon loads" || {
  say "error: the native addon does not load; details:"
  node dist/cli/main.js doctor >&2 || true
  exit 1
}
