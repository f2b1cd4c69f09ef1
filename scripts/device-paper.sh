#!/usr/bin/env bash
# Runs a bounded slice of the `paper` preset (Transformer-base students, docs/experiments.md)
# on a bare, offline GPU machine in one command of under 10 minutes, and writes what it
# measured under $OUT, from which `experiment status` estimates the full study's GPU time.
#
#   bash scripts/device-paper.sh                       # on the GPU machine, as root, in the repo root
#   bash scripts/device-paper.sh --device cpu --deadline 150    # a smoke test of this script on a CPU
#
# Carry: [".device"], made on the development machine by scripts/device-paper-pack.sh
# (node, node_modules, dist as for device-run.sh, plus .device/paper.tar.xz: the paper
# folder with its data prepared and Apertium's output cached, so neither the SWORD modules
# nor Apertium are needed here).
#
# Steps: node setup (device-lib.sh); the CPU addon and, for cuda, the CUDA module; the
# folder unpacked into WORK (kept: a second call on a warm machine goes on from there);
# then each slice, in order, as `experiment run --preset paper --device DEV --only SLICE
# --time-budget LEFT`, where LEFT is what remains of --deadline (seconds from the start of
# this script) less a reserve for the end: `experiment status` (with the estimate) and
# `experiment report`. A slice stopped by the budget keeps its finished runs.
#
# Options (or environment):
#   --device DEV       cuda (default) or cpu                                  RG_PAPER_DEVICE
#   --deadline S       seconds from start to the end of the last slice (default 480)  RG_PAPER_DEADLINE
#   --slices 'F;F'     --only filters, ';'-separated (default below)          RG_PAPER_SLICES
#   --work DIR         where the folder is unpacked (default tmp/device-paper) RG_PAPER_WORK
# Default slices: the cheapest students first (real and Apertium need no generator
# training), then the tiny 'low' generator and a student on its output:
#   condition=real,condition=generated:apertium,size=1000,seed=1;condition=generated:low,size=1000,seed=1
#
# Writes, in $OUT: device-paper.log (everything printed), paper-summary.json (device,
# seconds per step, each slice's exit status and seconds), status.txt and status.json
# (the grid and the estimate), report/ (report.md, report.html, results.json,
# analysis.json, figures), paper/ (results.sqlite, spec.yaml, log.jsonl, and per run its
# run.json, result.json, progress.jsonl, train.jsonl (a student's training set), cell.json, test.hyp; no weights).
# Exit status: 0 when every slice ended done or stopped by the budget; 1 otherwise.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
OUT="${OUT:-$ROOT/device-out}"
mkdir -p "$OUT"
source scripts/device-lib.sh
device_log_to "$OUT/device-paper.log"
T0=$(date +%s)

say() { printf 'device-paper: %s\n' "$*"; }
die() { say "error: $*"; device_exit 1; }
usage() { say "error: $*"; sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; device_exit 2; }

DEVICE="${RG_PAPER_DEVICE:-cuda}"
DEADLINE="${RG_PAPER_DEADLINE:-480}"
SLICES="${RG_PAPER_SLICES:-condition=real,condition=generated:apertium,size=1000,seed=1;condition=generated:low,size=1000,seed=1}"
WORK="${RG_PAPER_WORK:-tmp/device-paper}"
RESERVE=60 # status, report and copying at the end, and the slack of a stopping training

while (($#)); do
  case "$1" in
    --device | --deadline | --slices | --work)
      (($# >= 2)) || usage "$1 needs a value"
      case "$1" in
        --device) DEVICE="$2" ;;
        --deadline) DEADLINE="$2" ;;
        --slices) SLICES="$2" ;;
        --work) WORK="$2" ;;
      esac
      shift 2
      ;;
    -h | --help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; device_exit 0 ;;
    *) usage "unknown option '$1'" ;;
  esac
done
[[ "$DEVICE" == cuda || "$DEVICE" == cpu ]] || usage "--device must be cuda or cpu (got '$DEVICE')"
[[ "$DEADLINE" =~ ^[0-9]+$ ]] && ((DEADLINE >= RESERVE + 30 && DEADLINE <= 3600)) || usage "--deadline must be whole seconds in [$((RESERVE + 30)), 3600] (got '$DEADLINE')"
[[ -n "${SLICES//[; ]/}" ]] || usage "--slices is empty"
[[ "$WORK" != /* ]] && WORK="$ROOT/$WORK"
DIR="$WORK/paper"
say "device $DEVICE, deadline ${DEADLINE} s, work $DIR"

declare -A STEP_S=()
SLICE_JSON="" # one JSON object per slice, comma-separated
OK=1
BUILD_CPU_S=null
BUILD_CUDA_S=null

# 1. Node (device-lib.sh), the compiled CLI.
device_setup_node || die "$DEVICE_ERR"
[[ -f dist/cli/main.js ]] || die "dist/cli/main.js is missing: run scripts/device-paper-pack.sh on the development machine (it packs dist/)"
STEP_S[setup]=$(($(date +%s) - T0))

# 2. The addon (always on a GPU machine: it is bare; on a CPU only when missing), the CUDA module.
if [[ "$DEVICE" == cuda ]] && device_use_prebuilt; then
  :
else
  if [[ "$DEVICE" == cuda || ! -f build/Release/regurgitate.node ]]; then
    device_build_cpu "$OUT/build-cpu.log" || die "$DEVICE_ERR"
    say "CPU addon built in ${BUILD_CPU_S} s"
  fi
  if [[ "$DEVICE" == cuda ]]; then
    device_build_cuda || die "$DEVICE_ERR"
    say "CUDA module built in ${BUILD_CUDA_S} s"
  fi
fi

# 3. The prepared folder.
if [[ ! -f "$DIR/results.sqlite" ]]; then
  [[ -f .device/paper.tar.xz ]] || die ".device/paper.tar.xz was not carried: run scripts/device-paper-pack.sh on the development machine"
  mkdir -p "$WORK" && tar -xJf .device/paper.tar.xz -C "$WORK" || die "could not unpack .device/paper.tar.xz into $WORK"
  say "unpacked .device/paper.tar.xz into $WORK"
else
  say "going on with $DIR (left by an earlier call)"
fi
cli() { node dist/cli/main.js "$@"; }
json_str() { local s="${1//\\/\\\\}"; printf '"%s"' "${s//\"/\\\"}"; }

# 4. The slices, each with what is left of the deadline.
IFS=';' read -r -a slice_list <<<"$SLICES"
for slice in "${slice_list[@]}"; do
  slice="${slice#"${slice%%[![:space:]]*}"}"
  [[ -n "$slice" ]] || continue
  left=$((DEADLINE - ($(date +%s) - T0) - RESERVE))
  if ((left < 30)); then
    say "no time left for slice '$slice' (${left} s)"
    SLICE_JSON+="${SLICE_JSON:+,}{\"only\":$(json_str "$slice"),\"skipped\":true}"
    continue
  fi
  say "slice '$slice': time budget ${left} s"
  t0=$(date +%s)
  # The budget stops it as Ctrl-C does; timeout is the guard if a stop takes too long.
  timeout -s INT -k 30 $((left + 45)) node dist/cli/main.js experiment run --preset paper --out "$DIR" --device "$DEVICE" \
    --only "$slice" --time-budget "$left" --no-report
  rc=$?
  s=$(($(date +%s) - t0))
  say "slice '$slice': exit status $rc after ${s} s"
  SLICE_JSON+="${SLICE_JSON:+,}{\"only\":$(json_str "$slice"),\"exit\":$rc,\"seconds\":$s}"
  ((rc == 0 || rc == 75)) || OK=0
  ((rc == 75)) && break # the budget is used: later slices would get none
done

# 5. Status (with the estimate of the whole study), the report, and the files to keep.
t0=$(date +%s)
cli experiment status --out "$DIR" >"$OUT/status.txt" || OK=0
cli experiment status --out "$DIR" --json >"$OUT/status.json" || OK=0
cat "$OUT/status.txt"
mkdir -p "$OUT/report" "$OUT/paper"
if cli experiment report --out "$DIR"; then
  for f in report.md report.html results.json analysis.json figures; do [[ -e "$DIR/$f" ]] && cp -r "$DIR/$f" "$OUT/report/"; done
else
  say "warning: experiment report failed"
fi
cp "$DIR"/results.sqlite* "$DIR/spec.yaml" "$OUT/paper/" 2>/dev/null
[[ -f "$DIR/log.jsonl" ]] && cp "$DIR/log.jsonl" "$OUT/paper/"
for d in "$DIR"/runs/* "$DIR"/generators/*; do
  [[ -d "$d" ]] || continue
  dest="$OUT/paper/${d#"$DIR"/}"
  mkdir -p "$dest"
  for f in run.json result.json progress.jsonl train.jsonl cell.json test.hyp; do [[ -f "$d/$f" ]] && cp "$d/$f" "$dest/"; done
done
STEP_S[end]=$(($(date +%s) - t0))

TOTAL=$(($(date +%s) - T0))
DEVICE="$DEVICE" DEADLINE="$DEADLINE" TOTAL="$TOTAL" SETUP="${STEP_S[setup]}" END="${STEP_S[end]}" SLICES_JSON="[$SLICE_JSON]" \
  BUILD_CPU_S="$BUILD_CPU_S" BUILD_CUDA_S="$BUILD_CUDA_S" GPU="$(nvidia-smi -L 2>/dev/null || true)" node -e '
    const e = process.env, os = require("os");
    const r = {
      date: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, node: process.version,
      device: e.DEVICE, gpu: e.GPU || null, deadlineSeconds: Number(e.DEADLINE), totalSeconds: Number(e.TOTAL),
      seconds: { setup: Number(e.SETUP), buildCpuAddon: JSON.parse(e.BUILD_CPU_S), buildCudaModule: JSON.parse(e.BUILD_CUDA_S), statusReportCopy: Number(e.END) },
      slices: JSON.parse(e.SLICES_JSON),
    };
    require("fs").writeFileSync(process.argv[1], JSON.stringify(r, null, 2) + "\n");
  ' "$OUT/paper-summary.json" || say "warning: paper-summary.json not written"
say "done in ${TOTAL} s: $(ls "$OUT" | tr '\n' ' ')"
((OK)) || device_exit 1
device_exit 0
