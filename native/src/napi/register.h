// Each area of the addon registers its own functions; addon.cc only calls these.
// No math here: the N-API layer converts, validates, and hands work to the engine.
#pragma once
#include <napi.h>

namespace rg::napi {

void RegisterSystem(Napi::Env env, Napi::Object exports);    // system_napi.cc
void RegisterKernels(Napi::Env env, Napi::Object exports);   // kernels_napi.cc (gemm, benches)
void RegisterTesting(Napi::Env env, Napi::Object exports);   // testing_napi.cc (gradchecks)
void RegisterModelTesting(Napi::Env env, Napi::Object exports);  // testing_model_napi.cc
void RegisterModel(Napi::Env env, Napi::Object exports);     // model_napi.cc
void RegisterOptions(Napi::Env env, Napi::Object exports);   // options_napi.cc (optionRanges)
// The CPU kernels as plain functions over Float32Arrays: the references tests/cuda
// compares the CUDA kernels with.
void RegisterAttentionKernels(Napi::Env env, Napi::Object exports);  // kernels_attention_napi.cc
void RegisterRowKernels(Napi::Env env, Napi::Object exports);        // kernels_rows_napi.cc
// Decoding's row ops through the backend for `device`, named copyRows... + suffix
// (kernels_decode_napi.cc): "cpu" here, "cuda:fp32" with suffix Test in the CUDA module.
void RegisterDecodeKernels(Napi::Env env, Napi::Object exports, const char* device, const char* suffix);

// All of the above: the engine's whole surface (the CPU addon's entry and the CUDA module's).
void RegisterEngine(Napi::Env env, Napi::Object exports);  // shared.cc

// Throws a JS error carrying `code` (called inside catch blocks on the main thread).
Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg);

}  // namespace rg::napi
