// Timings of the optimized kernels against their naive references at the reference training
// workload's shapes (N = 8192 tokens, d = 256, 4 heads of 64, T = 32, d_ff = 1024,
// vocab 8000). For scripts/bench-kernels.mjs; tests never time anything.
#pragma once
#include <string>
#include <vector>

namespace rg::testing {

struct BenchResult {
  std::string kernel, shape;
  double opt_ms = 0, ref_ms = 0;  // best of iters, wall clock
  int threads = 0;
};

std::vector<std::string> kernel_bench_names();
// Throws rg::Error("EINVAL") for an unknown name.
BenchResult kernel_bench(const std::string& name, int iters);

}  // namespace rg::testing
