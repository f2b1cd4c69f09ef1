// Philox4x32-10 for 8 blocks (32 uniforms) at once in 64-bit lanes: _mm512_mul_epu32 gives
// the full 32x32->64 products the rounds need. Same numbers as common/rng.h, element for
// element, so masks do not depend on the CPU.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "cpu/dropout_isa.h"

namespace rg::cpu {
namespace {

static void apply32(float* y, const float* x, __m512i a, __m512i b, __m512 p, __m512 s) {
  const __m512i lo_idx = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i hi_idx = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  const __m512 unit = _mm512_set1_ps(1.0f / 16777216.0f);
  __m512i w0 = _mm512_permutex2var_epi64(a, lo_idx, b);  // elements 0..15
  __m512i w1 = _mm512_permutex2var_epi64(a, hi_idx, b);  // elements 16..31
  __m512 u0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w0, 8)), unit);
  __m512 u1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(w1, 8)), unit);
  __mmask16 k0 = _mm512_cmp_ps_mask(u0, p, _CMP_GE_OQ);
  __mmask16 k1 = _mm512_cmp_ps_mask(u1, p, _CMP_GE_OQ);
  _mm512_storeu_ps(y, _mm512_maskz_mul_ps(k0, _mm512_loadu_ps(x), s));
  _mm512_storeu_ps(y + 16, _mm512_maskz_mul_ps(k1, _mm512_loadu_ps(x + 16), s));
}

}  // namespace

void dropout_range_avx512(float* y, const float* x, size_t begin, size_t end, float p, float s,
                          uint64_t seed, uint64_t stream) {
  const __m512i M0 = _mm512_set1_epi64(0xD2511F53u), M1 = _mm512_set1_epi64(0xCD9E8D57u);
  const __m512i lo32 = _mm512_set1_epi64(0xFFFFFFFFu);
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  const __m512i s_lo = _mm512_set1_epi64((uint32_t)stream), s_hi = _mm512_set1_epi64((uint32_t)(stream >> 32));
  const __m512 pv = _mm512_set1_ps(p), sv = _mm512_set1_ps(s);
  size_t i = begin;
  for (; i + 32 <= end; i += 32) {
    __m512i blk = _mm512_add_epi64(_mm512_set1_epi64((long long)(i >> 2)), lane);
    __m512i c0 = _mm512_and_si512(blk, lo32), c1 = _mm512_srli_epi64(blk, 32), c2 = s_lo, c3 = s_hi;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      __m512i p0 = _mm512_mul_epu32(c0, M0);
      __m512i p1 = _mm512_mul_epu32(c2, M1);
      __m512i n0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), c1), _mm512_set1_epi64(k0));
      __m512i n2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), c3), _mm512_set1_epi64(k1));
      c1 = _mm512_and_si512(p1, lo32);
      c3 = _mm512_and_si512(p0, lo32);
      c0 = n0;
      c2 = n2;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    // Per block j: words (c0, c1, c2, c3)[j] belong to elements 4j .. 4j+3.
    __m512i a = _mm512_or_si512(c0, _mm512_slli_epi64(c1, 32));
    __m512i b = _mm512_or_si512(c2, _mm512_slli_epi64(c3, 32));
    apply32(y + i, x + i, a, b, pv, sv);
  }
  // Tail (fewer than 32): scalar Philox, identical to common/rng.h.
  for (; i < end; ++i) {
    uint64_t blk = i >> 2;
    uint32_t c0 = (uint32_t)blk, c1 = (uint32_t)(blk >> 32), c2 = (uint32_t)stream, c3 = (uint32_t)(stream >> 32);
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
      uint64_t q0 = (uint64_t)0xD2511F53u * c0, q1 = (uint64_t)0xCD9E8D57u * c2;
      uint32_t n0 = (uint32_t)(q1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)q1, n2 = (uint32_t)(q0 >> 32) ^ c3 ^ k1,
               n3 = (uint32_t)q0;
      c0 = n0; c1 = n1; c2 = n2; c3 = n3;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint32_t w[4] = {c0, c1, c2, c3};
    float u = (float)(w[i & 3] >> 8) * (1.0f / 16777216.0f);
    y[i] = u >= p ? x[i] * s : 0.0f;
  }
}

}  // namespace rg::cpu
