// Helpers shared by the N-API files of the CUDA module: CUDA error -> JS Error (with a
// stable `code`, as the CPU addon's errors), device buffers freed by RAII.
#pragma once
#include <cuda_runtime.h>
#include <napi.h>

#include <cstddef>
#include <string>

namespace rg::cuda {

// A JS Error carrying `code` (ECUDA, EINVAL, ...) and `native: true`.
inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("native", Napi::Boolean::New(env, true));
  return e;
}

inline std::string cuda_error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

// Throws "CUDA unavailable: <error>" when the runtime cannot reach a device (no driver,
// driver too old, no device); every other failure as "<what> failed: <error>".
[[noreturn]] inline void throw_cuda(Napi::Env env, const char* what, cudaError_t err) {
  if (err == cudaErrorInsufficientDriver || err == cudaErrorNoDevice ||
      err == cudaErrorInitializationError || err == cudaErrorCompatNotSupportedOnDevice ||
      err == cudaErrorSystemDriverMismatch || err == cudaErrorSystemNotReady ||
      err == cudaErrorDevicesUnavailable)
    throw make_error(env, "ECUDA_UNAVAILABLE",
                     "CUDA unavailable: " + cuda_error_text(err) +
                         (err == cudaErrorInsufficientDriver
                              ? " (no NVIDIA driver, libcuda.so.1, was found, or it is older "
                                "than this CUDA runtime needs)"
                              : ""));
  throw make_error(env, "ECUDA", std::string(what) + " failed: " + cuda_error_text(err));
}

inline void check(Napi::Env env, const char* what, cudaError_t err) {
  if (err != cudaSuccess) throw_cuda(env, what, err);
}
inline void check(Napi::Env env, const char* what, int err) { check(env, what, (cudaError_t)err); }

// A device allocation of n floats, freed on scope exit.
class DeviceFloats {
 public:
  DeviceFloats(Napi::Env env, size_t n) : n_(n) {
    if (n) check(env, "cudaMalloc", cudaMalloc((void**)&p_, n * sizeof(float)));
  }
  ~DeviceFloats() {
    if (p_) cudaFree(p_);
  }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  float* p_ = nullptr;
  size_t n_ = 0;
};

void RegisterTesting(Napi::Env env, Napi::Object exports);           // testing.cc (adamw, dropout)
void RegisterGemmTesting(Napi::Env env, Napi::Object exports);       // testing_gemm.cc
void RegisterAttentionTesting(Napi::Env env, Napi::Object exports);  // testing_attention.cc
void RegisterRowsTesting(Napi::Env env, Napi::Object exports);       // testing_rows.cc (layernorm, xent, embedding, elementwise)
void RegisterFusedTesting(Napi::Env env, Napi::Object exports);      // testing_fused.cc (backend.h's fused ops)
void RegisterDecodeTesting(Napi::Env env, Napi::Object exports);     // testing_decode.cc (copy/gather rows, top-k)

}  // namespace rg::cuda
