// Checked conversions between JavaScript values and C++ (errors name the field).
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "common/json.h"
#include "common/option_ranges.h"
#include "train/data.h"

namespace rg::napi {

std::vector<int> GetInt32Array(Napi::Env env, Napi::Value v, const std::string& what);
Napi::Object GetObject(Napi::Env env, Napi::Value v, const std::string& what);
std::string GetString(Napi::Env env, Napi::Value v, const std::string& what);
// A non-empty filesystem path without NUL characters (a NUL would silently cut it short).
std::string GetPath(Napi::Env env, Napi::Value v, const std::string& what);
// A finite number (an integer if `integer`) in [lo, hi]; `dflt` when absent/undefined.
double GetNumber(Napi::Env env, Napi::Object o, const char* key, double dflt, double lo, double hi,
                 bool integer, const std::string& what);
// An option of the shared table (common/option_ranges.h), read as `what`.`r.name`.
double GetNumber(Napi::Env env, Napi::Object o, const OptionRange& r, double dflt, const std::string& what);
bool GetBool(Napi::Env env, Napi::Object o, const char* key, bool dflt, const std::string& what);
std::string GetStringField(Napi::Env env, Napi::Object o, const char* key, const std::string& dflt,
                           const std::string& what);
// {src, srcOffsets, tgt, tgtOffsets} (NativePairs).
Pairs GetPairs(Napi::Env env, Napi::Value v, const std::string& what);
Napi::Value JsonToJs(Napi::Env env, const Json& j);
[[noreturn]] void ThrowInvalid(Napi::Env env, const std::string& msg);

}  // namespace rg::napi
