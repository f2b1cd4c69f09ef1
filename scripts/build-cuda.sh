#!/usr/bin/env bash
# Builds the optional CUDA module build/Release/regurgitate_cuda.node with cmake-js
# (native/cuda/CMakeLists.txt). Needs no network: cmake-js is told where the Node headers
# are (npm_config_nodedir, a directory with include/node/node_api.h: /usr for Debian's
# nodejs, or the Node install prefix), so it never downloads them.
#
#   bash scripts/build-cuda.sh            # skips (exit 0) only when nvcc is absent
#   RG_CUDA_ARCHS="80;90;90a" bash scripts/build-cuda.sh
#   REGURGITATE_CUDA=require bash scripts/build-cuda.sh   # a missing nvcc is an error too
#
# Exit status: 0 when built, or when skipped because nvcc is absent; non-zero on any
# configure or compile error (CI has nvcc, so a broken CUDA file fails CI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'build-cuda: %s\n' "$*" >&2; }

NVCC="${CUDACXX:-}"
if [[ -n "$NVCC" && ! -x "$NVCC" ]]; then
  say "error: CUDACXX=$NVCC is not an executable nvcc"
  exit 1
fi
if [[ -z "$NVCC" ]]; then
  NVCC="$(command -v nvcc || true)"
  [[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]] && NVCC=/usr/local/cuda/bin/nvcc
fi
if [[ -z "$NVCC" || ! -x "$NVCC" ]]; then
  if [[ "${REGURGITATE_CUDA:-}" == require ]]; then
    say "error: nvcc not found (PATH, \$CUDACXX, /usr/local/cuda/bin) and REGURGITATE_CUDA=require"
    exit 1
  fi
  say "skipped: nvcc not found (PATH, \$CUDACXX, /usr/local/cuda/bin); the CPU backend works without it"
  exit 0
fi
export CUDACXX="$NVCC"

# Node headers for cmake-js: npm_config_nodedir, else the running node's prefix, else /usr.
if [[ -z "${npm_config_nodedir:-}" ]]; then
  prefix="$(dirname "$(dirname "$(command -v node)")")"
  for d in "$prefix" /usr /usr/local; do
    if [[ -f "$d/include/node/node_api.h" ]]; then export npm_config_nodedir="$d"; break; fi
  done
fi
if [[ -z "${npm_config_nodedir:-}" || ! -f "$npm_config_nodedir/include/node/node_api.h" ]]; then
  say "error: no Node headers (include/node/node_api.h) under npm_config_nodedir='${npm_config_nodedir:-}', the node prefix, /usr or /usr/local"
  say "       install them (Debian: libnode-dev / nodejs headers) or set npm_config_nodedir"
  exit 1
fi

cmakejs=node_modules/.bin/cmake-js
if [[ ! -x "$cmakejs" ]]; then
  say "error: $cmakejs missing: run npm ci first"
  exit 1
fi

archs="${RG_CUDA_ARCHS:-80;90}"
jobs="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
say "nvcc: $("$NVCC" --version | tail -1); archs: $archs; Node headers: $npm_config_nodedir/include/node; jobs: $jobs"
start=$(date +%s)
# The copy into build/Release runs only when the module relinks; copy it here as well so
# an up-to-date build (nothing to relink) still leaves the module in place.
rm -f build/Release/regurgitate_cuda.node
"$cmakejs" build --directory native/cuda --out build-cuda --config Release --parallel "$jobs" \
  --CDRG_CUDA_ARCHS="$archs" --CDCMAKE_CUDA_COMPILER="$NVCC" \
  --CDRG_OUTPUT_DIR="$PWD/build/Release" --log-level warn
if [[ ! -f build/Release/regurgitate_cuda.node && -f build-cuda/Release/regurgitate_cuda.node ]]; then
  mkdir -p build/Release && cp build-cuda/Release/regurgitate_cuda.node build/Release/
fi
if [[ ! -f build/Release/regurgitate_cuda.node ]]; then
  say "error: the build finished but build/Release/regurgitate_cuda.node is missing"
  exit 1
fi
# Node resolves an addon's symbols lazily, so a missing engine function would only crash
# at its first call: refuse a module with undefined symbols of our own.
if command -v nm >/dev/null 2>&1; then
  missing="$(nm -DC --undefined-only build/Release/regurgitate_cuda.node | grep -E ' rg::' || true)"
  if [[ -n "$missing" ]]; then
    say "error: build/Release/regurgitate_cuda.node has undefined symbols of the engine:"
    printf '%s\n' "$missing" | head -20
    rm -f build/Release/regurgitate_cuda.node
    exit 1
  fi
fi
say "ok: build/Release/regurgitate_cuda.node in $(($(date +%s) - start)) s"
