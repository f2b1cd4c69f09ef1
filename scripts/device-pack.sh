#!/usr/bin/env bash
# Makes .device/ (git-ignored) on the development machine: what scripts/device-run.sh needs
# on a bare, offline GPU machine (see its header). Carry it with `carry: [".device"]`.
#   bash scripts/device-pack.sh        (after npm ci and npx tsc; after the builds too, to
#                                      carry the modules and skip building there)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node_bin="$(command -v node)"
inc="$(dirname "$(dirname "$(readlink -f "$node_bin")")")/include/node"
[[ -f "$inc/node_api.h" ]] || inc=/usr/include/node
[[ -f "$inc/node_api.h" ]] || { echo "device-pack: no Node headers found" >&2; exit 1; }
rm -rf .device && mkdir -p .device/include/node
# (.gitignore lists it too; git-path: in a worktree .git is a file.)
exclude="$(git rev-parse --git-path info/exclude 2>/dev/null || echo .git/info/exclude)"
grep -qx '/.device/' "$exclude" 2>/dev/null || echo '/.device/' >>"$exclude" || true
xz -T2 -6 -c "$node_bin" >.device/node.xz
# cmake-js checks for node.h; node-gyp reads the *.gypi; the build needs only the N-API headers.
cp "$inc"/{common.gypi,config.gypi,node.h,node_api*.h,js_native_api*.h,node_version.h} .device/include/node/
tar -cJf .device/node_modules.tar.xz --exclude=node_modules/typescript \
  --exclude=node_modules/better-sqlite3/deps --exclude=node_modules/better-sqlite3/src node_modules
tar -cJf .device/dist.tar.xz dist
# The built modules too, when both are newer than every native source, so the GPU machine
# can skip both builds (device-lib.sh: device_use_prebuilt checks the sources' hash).
source scripts/device-lib.sh
cpu=build/Release/regurgitate.node gpu=build/Release/regurgitate_cuda.node
stale() {  # the first of the given sources newer than module $1
  local m="$1"
  shift
  find "$@" -type f -newer "$m" -print -quit
}
if [[ -f $cpu && -f $gpu ]] && [[ -z "$(stale $cpu native/src binding.gyp scripts/gyp-sources.cjs)" ]] &&
  [[ -z "$(stale $gpu native scripts/gyp-sources.cjs scripts/build-cuda.sh)" ]]; then
  tmp="$(mktemp -d)"
  cp "$cpu" "$gpu" "$tmp/"
  device_sources_hash >"$tmp/sources.sha256"
  tar -cJf .device/prebuilt.tar.xz -C "$tmp" regurgitate.node regurgitate_cuda.node sources.sha256
  rm -rf "$tmp"
  echo "device-pack: packed the prebuilt modules"
else
  echo "device-pack: no up-to-date build/Release modules; the GPU machine will build them"
fi
du -sh .device
