// Helpers for splitting element-wise work (baseline code only; ISA files must not include this).
#pragma once
#include <algorithm>
#include <cstddef>

#include "common/threadpool.h"

namespace rg::cpu {

// fn(begin, end) over [0, n) in blocks of `grain` elements (block boundaries are multiples of
// grain); runs inline when there is only one block.
template <class F>
inline void parallel_blocks(size_t n, size_t grain, F&& fn) {
  if (n == 0) return;
  size_t blocks = (n + grain - 1) / grain;
  if (blocks <= 1) {
    fn((size_t)0, n);
    return;
  }
  rg::parallel_for(blocks, [&](size_t b0, size_t b1) { fn(b0 * grain, std::min(n, b1 * grain)); });
}

}  // namespace rg::cpu
