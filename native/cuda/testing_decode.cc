// Test entry points of the decoding row ops (decode.cu, sample.cu and the backend's
// copy_rows): copyRowsTest, gatherRowsTest, topkRowsTest, sampleRowsTest run the seam's
// ops on a cuda:fp32 backend with the arguments and results of the CPU addon's copyRows,
// gatherRows, topkRows, sampleRows (native/src/napi/kernels_decode_napi.cc, which
// implements both), so tests/cuda/decode.test.ts and sample.test.ts compare them directly.
#include <napi.h>

#include "cuda_util.h"
#include "napi/register.h"

namespace rg::cuda {

void RegisterDecodeTesting(Napi::Env env, Napi::Object exports) {
  rg::napi::RegisterDecodeKernels(env, exports, "cuda:fp32", "Test");
}

}  // namespace rg::cuda
