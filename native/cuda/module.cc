// regurgitate_cuda.node: the optional CUDA backend, a separate module built by cmake-js
// (native/cuda/CMakeLists.txt, scripts/build-cuda.sh) and loaded only when a GPU is asked
// for (ts/src/native/cuda.ts). The CUDA runtime is linked statically; it opens the
// driver (libcuda.so.1) with dlopen at the first runtime call, so this module loads on
// machines without a driver and devices() reports why CUDA is unavailable.
//
//   version(): { cudaRuntime, cudaRuntimeVersion, driverVersion, archs, napiVersion }
//   devices(): [{ index, name, computeCapability, memoryBytes, smCount }]; throws
//              "CUDA unavailable: <cuda error>" (code ECUDA_UNAVAILABLE) when the runtime
//              cannot initialise (no driver, no device)
//   Model, gemm, systemInfo, ...: the CPU addon's whole surface (native/src/napi), with
//              new Model(config, seed, 'cuda') / Model.load(dir, 'cuda') on the GPU
//   test entry points: testing*.cc
#include <cuda_runtime.h>
#include <napi.h>

#include <string>

#include "cuda_util.h"
#include "napi/register.h"

#ifndef RG_CUDA_ARCHS
#define RG_CUDA_ARCHS "unknown"
#endif

namespace rg::cuda {
namespace {

std::string version_string(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("cudaRuntime", version_string(CUDART_VERSION));  // the headers it was built with
  int rt = 0;
  if (cudaRuntimeGetVersion(&rt) == cudaSuccess) o.Set("cudaRuntimeVersion", rt);
  int drv = 0;  // 0 when no driver is installed
  if (cudaDriverGetVersion(&drv) == cudaSuccess && drv > 0)
    o.Set("driverVersion", version_string(drv));
  else
    o.Set("driverVersion", env.Null());
  o.Set("runtimeLinkage", "static");
  Napi::Array archs = Napi::Array::New(env);
  std::string list = RG_CUDA_ARCHS;
  size_t start = 0, k = 0;
  while (start <= list.size()) {
    size_t end = list.find_first_of(";, ", start);
    if (end == std::string::npos) end = list.size();
    if (end > start) archs.Set(k++, list.substr(start, end - start));
    start = end + 1;
  }
  o.Set("archs", archs);
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

Napi::Value Devices(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls report afresh
    throw_cuda(env, "cudaGetDeviceCount", err);
  }
  Napi::Array out = Napi::Array::New(env, count);
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop;
    check(env, "cudaGetDeviceProperties", cudaGetDeviceProperties(&prop, i));
    Napi::Object d = Napi::Object::New(env);
    d.Set("index", i);
    d.Set("name", std::string(prop.name));
    d.Set("computeCapability", std::to_string(prop.major) + "." + std::to_string(prop.minor));
    d.Set("memoryBytes", (double)prop.totalGlobalMem);
    d.Set("smCount", prop.multiProcessorCount);
    out.Set(i, d);
  }
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("devices", Napi::Function::New(env, Devices, "devices"));
  // The whole engine's surface (Model with device 'cuda' or 'cpu', kernels, system info),
  // as the CPU addon's, then the CUDA-only entry points.
  rg::napi::RegisterEngine(env, exports);
  RegisterTesting(env, exports);
  RegisterGemmTesting(env, exports);
  RegisterAttentionTesting(env, exports);
  RegisterRowsTesting(env, exports);
  RegisterFusedTesting(env, exports);
  RegisterDecodeTesting(env, exports);
  return exports;
}

}  // namespace
}  // namespace rg::cuda

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return rg::cuda::Init(env, exports);
}

NODE_API_MODULE(regurgitate_cuda, InitModule)
