#include "common/cpu_features.h"

#include <cpuid.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace rg {
namespace {

CpuInfo detect() {
  CpuInfo info;
  __builtin_cpu_init();
  struct F {
    const char* name;
    bool on;
  } fs[] = {
      {"sse4.2", (bool)__builtin_cpu_supports("sse4.2")},
      {"avx", (bool)__builtin_cpu_supports("avx")},
      {"avx2", (bool)__builtin_cpu_supports("avx2")},
      {"fma", (bool)__builtin_cpu_supports("fma")},
      {"avx512f", (bool)__builtin_cpu_supports("avx512f")},
      {"avx512bw", (bool)__builtin_cpu_supports("avx512bw")},
      {"avx512dq", (bool)__builtin_cpu_supports("avx512dq")},
      {"avx512vl", (bool)__builtin_cpu_supports("avx512vl")},
      {"avx512bf16", (bool)__builtin_cpu_supports("avx512bf16")},
  };
  for (auto& f : fs)
    if (f.on) info.features.push_back(f.name);
  info.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  info.avx512 = info.avx2_fma && __builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl");
  // Brand string from cpuid leaves 0x80000002..4.
  unsigned int regs[12] = {0};
  unsigned int max_ext = __get_cpuid_max(0x80000000, nullptr);
  if (max_ext >= 0x80000004) {
    for (unsigned i = 0; i < 3; ++i)
      __get_cpuid(0x80000002 + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
    char brand[49];
    std::memcpy(brand, regs, 48);
    brand[48] = 0;
    std::string s(brand);
    size_t a = s.find_first_not_of(' '), b = s.find_last_not_of(' ');
    info.model = a == std::string::npos ? "" : s.substr(a, b - a + 1);
  }
  if (info.model.empty()) info.model = "unknown";
  return info;
}

}  // namespace

const CpuInfo& cpu_info() {
  static CpuInfo info = detect();
  return info;
}

Isa active_isa() {
  const CpuInfo& c = cpu_info();
  Isa best = c.avx512 ? Isa::Avx512 : c.avx2_fma ? Isa::Avx2 : Isa::Generic;
  if (const char* s = std::getenv("REGURGITATE_ISA")) {
    Isa cap = best;
    if (!std::strcmp(s, "generic")) cap = Isa::Generic;
    else if (!std::strcmp(s, "avx2")) cap = Isa::Avx2;
    else if (!std::strcmp(s, "avx512")) cap = Isa::Avx512;
    if ((int)cap < (int)best) best = cap;
  }
  return best;
}

const char* isa_name(Isa i) {
  switch (i) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace rg
