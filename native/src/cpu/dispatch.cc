// Chooses the row-kernel table by CPU (see simd_isa.h).
#include <atomic>

#include "common/cpu_features.h"
#include "cpu/simd_isa.h"

namespace rg::cpu {

static std::atomic<int> g_override{-1};

void set_isa_override(int isa) { g_override.store(isa); }

const IsaKernels& isa_kernels() {
  Isa best = active_isa();
  int o = g_override.load();
  Isa use = (o >= 0 && o < (int)best) ? (Isa)o : best;
  switch (use) {
    case Isa::Avx512: return avx512::kTable;
    case Isa::Avx2: return avx2::kTable;
    default: return generic::kTable;
  }
}

}  // namespace rg::cpu
