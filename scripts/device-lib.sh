# Shared by the scripts that run on a bare, offline GPU machine (device-run.sh,
# device-paper.sh); sourced, not run. The caller has cd'd to the repository root.
# What .device/ holds and how it is made: see device-run.sh's header and device-pack.sh.
#
# Functions return non-zero with the reason in DEVICE_ERR, so each caller reports a
# failure its own way.

DEVICE_ERR=""
DEVICE_TEE_PID=""

# Everything the script prints from here on goes to the terminal and to FILE too.
device_log_to() {
  exec > >(tee -a "$1") 2>&1
  DEVICE_TEE_PID=$!
}
# Exits with status $1 once tee has written everything: left running, it could be killed
# (and the log's and the tool's last lines lost) when the call returns.
device_exit() {
  exec >&- 2>&-
  [[ -n "$DEVICE_TEE_PID" ]] && wait "$DEVICE_TEE_PID" 2>/dev/null
  exit "$1"
}

# Node on PATH (from .device/node.xz when missing), Node's headers for node-gyp and
# cmake-js (npm_config_nodedir, so nothing is downloaded), node_modules and dist/ (from
# .device's tarballs when missing). Prints what it found on stdout.
device_setup_node() {
  local root="$PWD" prefix d
  if ! command -v node >/dev/null 2>&1; then
    [[ -f .device/node.xz ]] || { DEVICE_ERR="node is missing and .device/node.xz was not carried"; return 1; }
    xz -dc .device/node.xz >/usr/local/bin/node && chmod +x /usr/local/bin/node || { DEVICE_ERR="could not unpack .device/node.xz"; return 1; }
  fi
  command -v node >/dev/null 2>&1 || { DEVICE_ERR="no node after unpacking .device/node.xz"; return 1; }
  echo "node $(node --version) at $(command -v node)"
  if [[ -z "${npm_config_nodedir:-}" ]]; then
    prefix="$(dirname "$(dirname "$(command -v node)")")"
    for d in "$root/.device" "$prefix" /usr /usr/local; do
      if [[ -f "$d/include/node/node_api.h" && -f "$d/include/node/common.gypi" ]]; then export npm_config_nodedir="$d"; break; fi
    done
  fi
  [[ -n "${npm_config_nodedir:-}" ]] || { DEVICE_ERR="no Node headers (include/node/node_api.h): carry .device/include/node"; return 1; }
  echo "Node headers: $npm_config_nodedir/include/node"
  if [[ ! -d node_modules/vitest ]]; then
    [[ -f .device/node_modules.tar.xz ]] || { DEVICE_ERR="node_modules is missing and .device/node_modules.tar.xz was not carried"; return 1; }
    tar -xJf .device/node_modules.tar.xz || { DEVICE_ERR="could not unpack .device/node_modules.tar.xz"; return 1; }
  fi
  if [[ ! -f dist/cli/main.js && -f .device/dist.tar.xz ]]; then tar -xJf .device/dist.tar.xz; fi
  export JOBS="${JOBS:-$(nproc)}"
  return 0
}

# The CPU addon (build/Release/regurgitate.node), compile output in LOG (removed when
# it builds). Sets BUILD_CPU_S.
device_build_cpu() {
  local log="$1" t0 rc
  t0=$(date +%s)
  node node_modules/node-gyp/bin/node-gyp.js rebuild -j "$JOBS" >"$log" 2>&1
  rc=$?
  BUILD_CPU_S=$(($(date +%s) - t0))
  if ((rc != 0)); then
    tail -40 "$log"
    DEVICE_ERR="the CPU addon did not build (see $log)"
    return "$rc"
  fi
  rm -f "$log"
  return 0
}

# The CUDA module (build/Release/regurgitate_cuda.node); nvcc must be there. Sets BUILD_CUDA_S.
device_build_cuda() {
  local t0 rc
  t0=$(date +%s)
  REGURGITATE_CUDA=require bash scripts/build-cuda.sh
  rc=$?
  BUILD_CUDA_S=$(($(date +%s) - t0))
  ((rc == 0)) || { DEVICE_ERR="the CUDA module did not build"; return "$rc"; }
  return 0
}

# A hash of every file the two native modules are built from, as they are here.
device_sources_hash() {
  find native binding.gyp scripts/gyp-sources.cjs scripts/build-cuda.sh -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

# Both modules from .device/prebuilt.tar.xz (device-pack.sh) into build/Release, when they
# were built from exactly these sources: saves the two builds (minutes of device time on
# a cold machine). RG_DEVICE_REBUILD=1 forces building. Returns 1 (and says why) when not used.
device_use_prebuilt() {
  [[ "${RG_DEVICE_REBUILD:-0}" != 1 && -f .device/prebuilt.tar.xz ]] || return 1
  local tmp want
  tmp="$(mktemp -d)"
  tar -xJf .device/prebuilt.tar.xz -C "$tmp" || { echo "prebuilt modules: cannot unpack"; return 1; }
  want="$(cat "$tmp/sources.sha256" 2>/dev/null)"
  if [[ "$want" != "$(device_sources_hash)" ]]; then
    echo "prebuilt modules were built from other sources: building instead"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p build/Release && cp "$tmp/regurgitate.node" "$tmp/regurgitate_cuda.node" build/Release/ || return 1
  rm -rf "$tmp"
  echo "using the prebuilt modules (built from these sources on the development machine)"
  return 0
}
