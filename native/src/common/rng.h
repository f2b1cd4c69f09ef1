// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). A value depends only
// on (seed, stream, index), never on call order or threads, so dropout masks and
// sampling repeat exactly, a resumed run equals an uninterrupted one, and the CUDA
// backend draws the very same numbers.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define RG_HD __host__ __device__ __forceinline__
#else
#define RG_HD inline
#endif

namespace rg {

struct U32x4 {
  uint32_t v[4];
};

RG_HD U32x4 philox4x32(uint64_t seed, uint64_t stream, uint64_t index) {
  uint32_t c0 = (uint32_t)index, c1 = (uint32_t)(index >> 32), c2 = (uint32_t)stream,
           c3 = (uint32_t)(stream >> 32);
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c0;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    uint32_t n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    uint32_t n3 = (uint32_t)p0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return U32x4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 24 random bits, exactly representable in fp32.
RG_HD float u32_to_unit(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

// One uniform per index: element i uses word (i & 3) of block (i >> 2).
RG_HD float uniform_at(uint64_t seed, uint64_t stream, uint64_t i) {
  U32x4 r = philox4x32(seed, stream, i >> 2);
  return u32_to_unit(r.v[i & 3]);
}

// Mixes several ids into one stream number (splitmix64 finaliser).
RG_HD uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
RG_HD uint64_t stream_id(uint64_t a, uint64_t b, uint64_t c = 0) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

// Sequential generator for host-side choices (init, shuffles, sampling), still
// counter-based so its state is two integers that checkpoints can save.
struct CounterRng {
  uint64_t seed = 0, stream = 0, counter = 0;
  float uniform() { return uniform_at(seed, stream, counter++); }
  uint32_t next_u32() {
    U32x4 r = philox4x32(seed, stream, counter >> 2);
    return r.v[(counter++) & 3];
  }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply, bias below 2^-32 * n).
  uint32_t below(uint32_t n) { return (uint32_t)(((uint64_t)next_u32() * n) >> 32); }
  // Standard normal (Box-Muller).
  float normal();
};

}  // namespace rg
