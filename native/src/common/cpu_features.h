// CPU features are read at run time: the machine that builds is not always the one
// that runs. REGURGITATE_ISA=generic|avx2|avx512 caps the choice (for tests, benches).
#pragma once
#include <string>
#include <vector>

namespace rg {

enum class Isa { Generic = 0, Avx2 = 1, Avx512 = 2 };

struct CpuInfo {
  std::string model;
  std::vector<std::string> features;  // e.g. "avx2", "fma", "avx512f"
  bool avx2_fma = false;
  bool avx512 = false;  // f + bw + dq + vl
};

const CpuInfo& cpu_info();
Isa active_isa();  // best supported, capped by REGURGITATE_ISA
const char* isa_name(Isa);

}  // namespace rg
