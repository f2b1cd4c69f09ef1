// Gradient checks of every kernel with a backward, optimized-vs-reference comparisons and
// determinism checks, as a registry of named checks run natively (exposed to tests through
// napi/testing_napi.cc).
//
// A gradient check draws small random inputs from rg::CounterRng (keyed by the seed and the
// check's name), takes a random projection L = sum(w .* out) computed in double, and compares
// the analytic gradient from the backward kernel with a central finite difference of L
// (6-point stencil, error O(h^6); fp32 inputs on a 2^-12 grid so every perturbation is exact;
// h = 1/16 .. 1/4 per kernel, large enough that fp32 rounding of the outputs stays small).
// Errors: rel = |a - n| / max(|a| + |n|, floor), floor = 0.1 * rms of the analytic gradient
// of that tensor (elements with a true gradient near zero are judged on the tensor's scale).
// An analytic gradient off by 1% gives rel ~ 5e-3; FD checks pass at rel <= 1e-3.
// Optimized-vs-reference errors use the same formula with floor = rms of the reference
// output (fp32 rounding in sums with cancellation is relative to the operands' scale);
// they pass at <= 1e-5, or must be exactly 0 where the kernel is bitwise equal by design.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rg::testing {

struct CheckResult {
  std::string kernel;        // what was checked
  double max_rel = 0;        // max relative error (see above)
  double max_abs = 0;        // max absolute error
  long checked = 0;          // number of elements compared
  bool has_ref = false;      // ref_max_rel is set
  double ref_max_rel = 0;    // optimized vs naive reference (same rel definition)
  double tolerance = 0;      // max_rel must be <= tolerance for the check to pass
  double ref_tolerance = 0;  // ref_max_rel must be <= ref_tolerance
  std::string note;          // extra facts (e.g. measured dropout rate)
};

std::vector<std::string> gradcheck_names();
bool gradcheck_exists(const std::string& name);
// Throws rg::Error("EINVAL") for an unknown name. Restores the thread count it found.
CheckResult run_gradcheck(const std::string& name, uint64_t seed);

}  // namespace rg::testing
