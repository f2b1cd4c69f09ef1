#!/usr/bin/env bash
# Makes .device/ (git-ignored) on the development machine: what scripts/device-run.sh needs
# on a bare, offline GPU machine (see its header). Carry it with `carry: [".device"]`.
#   bash scripts/device-pack.sh        (after npm ci and npx tsc)
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
du -sh .device
