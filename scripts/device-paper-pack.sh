#!/usr/bin/env bash
# Prepares the `paper` preset's experiment folder on the development machine, up to but
# not including GPU work, and packs it into .device/paper.tar.xz for
# scripts/device-paper.sh on a bare, offline GPU machine (no Debian packages there: no
# SWORD Bible modules, no Apertium; no network to get them).
#
#   bash scripts/device-paper-pack.sh          (after npm ci; runs tsc and device-pack.sh as needed)
#
# What it does here, on the CPU:
#   - the corpus: the bible (SWORD modules) cleaned and split, the 8000-token tokenizer
#     (DIR/data, stamped: the runner reuses it and never needs the modules again);
#   - the Apertium generator job (spa-eng over the pool-B sources the grid needs), its
#     output cached by content in DIR/cache and its scores in DIR/results.sqlite; the
#     runner on the GPU machine serves that cache without Apertium.
# Model generators and students are GPU work: nothing here trains a model.
#
# Missing Debian packages (apertium apertium-eng-spa; libsword-utils sword-text-web
# sword-text-sparv) are installed with apt-get when this runs as root, else it stops and
# says what to install. Carry the result with `carry: [".device"]`; the whole carry must
# stay under 64 MiB (this script prints the sizes).
#
# Environment: RG_PAPER_PREP (default tmp/device-paper-prep, git-ignored) holds the
# prepared folder; it is reused, so a second run only re-packs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'device-paper-pack: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

PREP="${RG_PAPER_PREP:-tmp/device-paper-prep}"
CARRY_LIMIT=$((64 * 1024 * 1024))

# Debian packages: installed when root, else a clear stop.
need_packages() {
  local what="$1"
  shift
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "$what is missing: installing $* with apt-get"
    apt-get update -qq || say "warning: apt-get update failed; trying the install anyway"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
  else
    die "$what is missing; install it first: sudo apt-get install $*"
  fi
}

# (The mode list is read whole: grep -q on a pipe would make apertium fail with SIGPIPE under pipefail.)
has_mode() { command -v apertium >/dev/null 2>&1 && grep -qx '[[:space:]]*spa-eng' <<<"$(apertium -l 2>/dev/null || true)"; }
has_mode || need_packages "Apertium with the spa-eng mode" apertium apertium-eng-spa
has_mode || die "apertium has no spa-eng mode after the install"
say "apertium $(dpkg-query -W -f='${Version}' apertium 2>/dev/null || echo '?'), $(dpkg-query -W -f='${Package} ${Version}' apertium-eng-spa 2>/dev/null || echo 'apertium-eng-spa ?')"

# The compiled CLI, and the rest of .device/ (node, node_modules, dist) made fresh from this tree.
node node_modules/typescript/bin/tsc -p tsconfig.json || die "tsc failed"
if [[ -f .device/node.xz && -f .device/node_modules.tar.xz && -d .device/include/node ]]; then
  tar -cJf .device/dist.tar.xz dist
else
  bash scripts/device-pack.sh
fi

missing_bible="$(node --input-type=module -e "import { checkBible } from './dist/data/bible.js'; const c = checkBible(['es', 'en']); process.stdout.write(c.missing.join(' '));")"
if [[ -n "$missing_bible" && ! -f "$PREP/paper/data/experiment-data.json" ]]; then
  # shellcheck disable=SC2086
  need_packages "The bible corpus (SWORD modules and mod2imp)" $missing_bible
fi

# Data and the Apertium job only: --device cpu (no model is trained; device is in no hash).
mkdir -p "$PREP"
t0=$(date +%s)
node dist/cli/main.js experiment run --preset paper --out "$PREP/paper" --device cpu --only id=generator-apertium --no-report
prep_s=$(($(date +%s) - t0))
say "prepared $PREP/paper in ${prep_s} s"
node dist/cli/main.js experiment status --out "$PREP/paper" >&2

# The folder less what the GPU machine does not need (nothing here trains, so there are no runs).
tar -cJf .device/paper.tar.xz -C "$PREP" --exclude='paper/runs' --exclude='paper/report*' --exclude='paper/figures' \
  --exclude='paper/results.json' --exclude='paper/analysis.json' paper
carry=$(du -sb .device | cut -f1)
say "$(stat -c %s .device/paper.tar.xz) bytes in .device/paper.tar.xz; .device/ holds $carry bytes in all (limit $CARRY_LIMIT)"
du -sb .device/* | sed 's/^/  /' >&2
((carry < CARRY_LIMIT)) || die ".device/ is $carry bytes: over the 64 MiB carry limit"
