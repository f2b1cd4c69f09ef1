#!/usr/bin/env bash
# The one script for a GPU machine: builds everything (the CPU addon and the CUDA module),
# runs the CUDA tests and the benchmarks, and writes JSON results under $OUT.
#
#   bash scripts/device-run.sh            # OUT defaults to ./device-out
#
# The GPU machine is bare and offline (no npm registry, no Node header download), and it
# receives the working tree plus carried, git-ignored paths. What to carry, in .device/
# (git-ignored; `bash scripts/device-pack.sh` makes it on the development machine, x86-64):
#
#   .device/node.xz                the node binary, xz-compressed; unpacked to
#                                  /usr/local/bin/node when `node` is missing.
#   .device/include/node/          Node's N-API headers and *.gypi, the nodedir node-gyp
#                                  and cmake-js are pointed at, so nothing is downloaded.
#   .device/node_modules.tar.xz    this checkout's node_modules without the TypeScript
#                                  compiler and sqlite sources; unpacked when missing.
#   .device/dist.tar.xz            the compiled TypeScript (dist/), for the CLI.
#   .device/prebuilt.tar.xz        both modules as built here, used instead of building
#                                  when the native sources hash the same (RG_DEVICE_REBUILD=1:
#                                  build anyway).
#
#   carry: [".device"]             (build/ is rebuilt there; carry nothing else)
#
# Steps (RG_DEVICE_STEPS, comma-separated; default all): build, tests, bench, torch, train,
# profile, decode.
# Writes, in $OUT:
#   system.json        nvidia-smi, GPU query, versions, the CUDA module's version() and
#                      devices(), build seconds, step exit codes
#   cuda-tests.json    vitest --reporter=json over tests/cuda
#   bench-cuda.jsonl   our CUDA benchmarks (scripts/bench-cuda.mjs)
#   bench-torch.jsonl  the PyTorch peers (scripts/bench_torch_cuda.py), same GPU, same run
#   train-profile.txt  REGURGITATE_PROFILE's per-op table of a few Transformer-base steps
#   device-run.log     everything this script printed
# Exit status: non-zero when a build fails, a CUDA test fails, the GPU tests skip for want of
# a device (4), or the wgmma probe fails (3).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
OUT="${OUT:-$ROOT/device-out}"
mkdir -p "$OUT"
source scripts/device-lib.sh
device_log_to "$OUT/device-run.log"

say() { printf 'device-run: %s\n' "$*"; }
die() { say "error: $*"; write_system; device_exit 1; }

declare -A STEP_RC=()
BUILD_CPU_S=null
BUILD_CUDA_S=null

write_system() {
  # Plain JSON by node when it is there; nvidia-smi's text kept as one string.
  local smi smi_csv nvcc_v cmake_v
  smi="$(nvidia-smi -q 2>&1 || true)"
  smi_csv="$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv 2>&1 || true)"
  nvcc_v="$( (${CUDACXX:-nvcc} --version || /usr/local/cuda/bin/nvcc --version) 2>&1 | tail -2 || true)"
  cmake_v="$(cmake --version 2>&1 | head -1 || true)"
  local steps="{" first=1 k
  for k in "${!STEP_RC[@]}"; do
    ((first)) || steps+=","
    steps+="\"$k\":${STEP_RC[$k]}"
    first=0
  done
  steps+="}"
  if command -v node >/dev/null 2>&1; then
    SMI="$smi" SMI_CSV="$smi_csv" NVCC_V="$nvcc_v" CMAKE_V="$cmake_v" STEPS="$steps" \
      BUILD_CPU_S="$BUILD_CPU_S" BUILD_CUDA_S="$BUILD_CUDA_S" node -e '
        const fs = require("fs"), os = require("os");
        const r = {
          date: new Date().toISOString(), host: os.hostname(), kernel: os.release(), cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model, memoryBytes: os.totalmem(), node: process.version,
          nvcc: process.env.NVCC_V, cmake: process.env.CMAKE_V,
          buildSeconds: { cpuAddon: JSON.parse(process.env.BUILD_CPU_S), cudaModule: JSON.parse(process.env.BUILD_CUDA_S) },
          steps: JSON.parse(process.env.STEPS), nvidiaSmiQuery: process.env.SMI_CSV, nvidiaSmi: process.env.SMI,
        };
        try {
          const m = require("./build/Release/regurgitate_cuda.node");
          r.cudaModule = m.version();
          try { r.devices = m.devices(); } catch (e) { r.devicesError = e.message; }
        } catch (e) { r.cudaModuleError = e.message; }
        try { r.cpuAddon = require("./build/Release/regurgitate.node").systemInfo(); } catch (e) { r.cpuAddonError = e.message; }
        fs.writeFileSync(process.argv[1], JSON.stringify(r, null, 2) + "\n");
      ' "$OUT/system.json" || say "warning: system.json not written"
  else
    printf '{"error":"node missing","nvidiaSmi":%s}\n' "$(printf '%s' "$smi" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))' 2>/dev/null || echo null)" >"$OUT/system.json"
  fi
}

STEPS=",${RG_DEVICE_STEPS:-build,tests,bench,torch,train,profile,decode},"
want() { [[ "$STEPS" == *",$1,"* ]]; }

# A whole call must end before the device tool's 10-minute limit, keeping what is done:
# RG_DEVICE_DEADLINE (seconds from now, default 560) caps every step's timeout, and a step
# that would get under 30 s is skipped (rc 125 in system.json; run it in the next call with
# RG_DEVICE_STEPS). Steps run in order of what a call must not miss: tests, our kernels and
# their PyTorch peers (ratios need both from one call), training, decoding, the profile.
T_START=$SECONDS
DEADLINE="${RG_DEVICE_DEADLINE:-560}"
# cap SECS: prints min(SECS, time left), or nothing when under 30 s are left.
cap() {
  local left=$((DEADLINE - (SECONDS - T_START)))
  ((left >= 30)) || return 1
  echo $(($1 < left ? $1 : left))
}
# step NAME SECS CMD...: CMD under `timeout` capped by the deadline; STEP_RC[NAME] its status.
step() {
  local name="$1" secs
  if ! secs="$(cap "$2")"; then
    say "skipped $name: the call's deadline (${DEADLINE} s) is near" >&2
    STEP_RC[$name]=125
    return 0
  fi
  shift 2
  timeout "$secs" "$@"
  STEP_RC[$name]=$?
}

# 1-3. Node, its headers, node_modules and dist/ (device-lib.sh).
device_setup_node || die "$DEVICE_ERR"

# 4. The CPU addon (the reference the CUDA kernels are tested against), then the CUDA module.
if want build && device_use_prebuilt; then
  STEP_RC[build_cpu]=0
  STEP_RC[build_cuda]=0
elif want build; then
  device_build_cpu "$OUT/build-cpu.log"
  STEP_RC[build_cpu]=$?
  ((STEP_RC[build_cpu] == 0)) || die "$DEVICE_ERR"
  say "CPU addon built in ${BUILD_CPU_S} s"

  device_build_cuda
  STEP_RC[build_cuda]=$?
  ((STEP_RC[build_cuda] == 0)) || die "$DEVICE_ERR"
  say "CUDA module built in ${BUILD_CUDA_S} s"
fi

# 4b. The Hopper wgmma GEMM has a self-check that turns it off when its results are wrong,
# but a kernel fault would end the whole process (and every test file that multiplies). So
# it is probed alone first; unless it passes (or does not apply), the rest of the call runs
# with REGURGITATE_GEMM=mma, and wgmma-probe.json says why.
if want tests || want bench || want train || want decode; then
  step wgmma_probe 90 node -e '
    const m = require("./build/Release/regurgitate_cuda.node");
    const s = m.gemmWgmmaStatus(true);
    console.log(JSON.stringify(s));
    process.exit(s.selfcheck === "passed" || !s.cc90 || !s.built ? 0 : 3);' >"$OUT/wgmma-probe.json"
  if ((STEP_RC[wgmma_probe] != 0)); then
    say "wgmma GEMM probe did not pass (rc ${STEP_RC[wgmma_probe]}; $OUT/wgmma-probe.json): the rest runs with REGURGITATE_GEMM=mma"
    export REGURGITATE_GEMM=mma
  fi
fi

# 5. The CUDA tests (they compare the GPU kernels with the CPU addon's).
STEP_RC[cuda_tests]=0
if want tests; then
  step cuda_tests "${RG_DEVICE_TEST_TIMEOUT:-300}" node node_modules/vitest/vitest.mjs run ${RG_DEVICE_TESTS:-tests/cuda} \
    --reporter=json --outputFile="$OUT/cuda-tests.json" --reporter=verbose
  # Without a device every GPU test skips and vitest passes (a module that does not load, a
  # driver too old for its runtime): on the GPU machine that is a failure.
  if ((STEP_RC[cuda_tests] == 0)) && [[ -f "$OUT/cuda-tests.json" ]]; then
    nodev="$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const t = r.testResults.flatMap((f) => f.assertionResults).filter((a) => a.title.includes("(skipped: no CUDA device"));
      if (t.length) console.log(`${t.length} GPU tests skipped: ${t[0].title.slice(t[0].title.indexOf("(skipped: ") + 10, -1)}`);
    ' "$OUT/cuda-tests.json")"
    if [[ -n "$nodev" ]]; then
      say "error: $nodev"
      STEP_RC[cuda_tests]=4
    fi
  fi
fi

# 6. Benchmarks, ours then the PyTorch peers, on the same GPU: JSON lines.
PY="$(command -v python3 || true)"
if want bench; then
  # kernels times each bf16 GEMM on both paths (mma.sync, and forced wgmma on an H100) and
  # attention with and without the P/dS split; GEMM lines come first, so even a timeout
  # keeps them.
  step bench_cuda "${RG_DEVICE_BENCH_TIMEOUT:-240}" node scripts/bench-cuda.mjs kernels >"$OUT/bench-cuda.jsonl"
fi
if want torch; then
  step bench_torch "${RG_DEVICE_TORCH_TIMEOUT:-300}" "$PY" scripts/bench_torch_cuda.py "${RG_DEVICE_TORCH_WHAT:-all}" \
    --iters "${RG_DEVICE_ITERS:-10}" >"$OUT/bench-torch.jsonl"
fi
if want train; then
  step bench_train "${RG_DEVICE_TRAIN_TIMEOUT:-180}" node scripts/bench-cuda.mjs train >>"$OUT/bench-cuda.jsonl"
  # What CUDA graphs buy: the same steps with every op launched directly, and a small model
  # (d_model 256, 3+3 layers, 64 x (32 + 32) tokens) where launch costs weigh most.
  REGURGITATE_CUDA_GRAPHS=0 step bench_train_nographs 120 node scripts/bench-cuda.mjs train >>"$OUT/bench-cuda.jsonl"
  for g in 128 0; do
    REGURGITATE_CUDA_GRAPHS=$g step "bench_train_small_$g" 60 node scripts/bench-cuda.mjs train --d-model 256 \
      --layers 3 --batch 64 --src-len 32 --tgt-len 32 --steps 40 >>"$OUT/bench-cuda.jsonl"
  done
fi
if want decode; then
  step bench_decode "${RG_DEVICE_DECODE_TIMEOUT:-180}" node scripts/bench-cuda.mjs decode >>"$OUT/bench-cuda.jsonl"
  # ... and with every op of a decoding step launched directly (what the graphs buy).
  REGURGITATE_CUDA_GRAPHS=0 step bench_decode_nographs "${RG_DEVICE_DECODE_TIMEOUT:-180}" \
    node scripts/bench-cuda.mjs decode >>"$OUT/bench-cuda.jsonl"
fi
if want profile; then
  # Where the step's time goes: every backend op synchronised and timed (slower than the
  # real step; read the shares, not the total).
  REGURGITATE_PROFILE=1 step train_profile "${RG_DEVICE_PROFILE_TIMEOUT:-120}" node scripts/bench-cuda.mjs train \
    --steps 5 >/dev/null 2>"$OUT/train-profile.txt"
fi

write_system
say "done: $(ls "$OUT" | tr '\n' ' ')"
RC="${STEP_RC[cuda_tests]}"
# A failed wgmma probe turns the Hopper GEMM tests into skips (tests/cuda/gemm.test.ts under
# REGURGITATE_GEMM=mma): it must still fail the call.
PROBE_RC="${STEP_RC[wgmma_probe]:-0}"
if ((RC == 0 && PROBE_RC != 0 && PROBE_RC != 125)); then
  say "error: the wgmma probe failed (rc $PROBE_RC; see wgmma-probe.json)"
  RC=3
fi
device_exit "$RC"
