#include "napi/convert.h"

#include <cmath>

#include "napi/register.h"

namespace rg::napi {

void ThrowInvalid(Napi::Env env, const std::string& msg) { throw MakeError(env, "EINVAL", msg); }

std::vector<int> GetInt32Array(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    ThrowInvalid(env, what + " must be an Int32Array");
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int>(a.Data(), a.Data() + a.ElementLength());
}

std::string GetPath(Napi::Env env, Napi::Value v, const std::string& what) {
  std::string s = GetString(env, v, what);
  if (s.empty()) ThrowInvalid(env, what + " must not be empty");
  if (s.find('\0') != std::string::npos) ThrowInvalid(env, what + " must not contain a NUL character");
  return s;
}

Napi::Object GetObject(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) ThrowInvalid(env, what + " must be an object");
  return v.As<Napi::Object>();
}

std::string GetString(Napi::Env env, Napi::Value v, const std::string& what) {
  if (!v.IsString()) ThrowInvalid(env, what + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double GetNumber(Napi::Env env, Napi::Object o, const char* key, double dflt, double lo, double hi,
                 bool integer, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  std::string name = what + "." + key;
  if (!v.IsNumber()) ThrowInvalid(env, name + " must be a number");
  double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) ThrowInvalid(env, name + " must be finite");
  if (integer && x != std::floor(x)) ThrowInvalid(env, name + " must be an integer");
  if (x < lo || x > hi)
    ThrowInvalid(env, name + " must be in [" + Json::make_number(lo).dump() + ", " + Json::make_number(hi).dump() +
                          "] (got " + Json::make_number(x).dump() + ")");
  return x;
}

double GetNumber(Napi::Env env, Napi::Object o, const OptionRange& r, double dflt, const std::string& what) {
  Napi::Value v = o.Get(r.name);
  if (v.IsUndefined()) return dflt;
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!v.IsNumber() || !r.contains(x)) {
    const std::string got = v.IsNumber() ? shortest_number(x) : "a non-number";
    ThrowInvalid(env, what + "." + r.name + " must be " + r.describe() + " (got " + got + ")");
  }
  return x;
}

bool GetBool(Napi::Env env, Napi::Object o, const char* key, bool dflt, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsBoolean()) ThrowInvalid(env, what + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string GetStringField(Napi::Env env, Napi::Object o, const char* key, const std::string& dflt,
                           const std::string& what) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  std::string s = GetString(env, v, what + "." + key);
  if (s.find('\0') != std::string::npos) ThrowInvalid(env, what + "." + key + " must not contain a NUL character");
  return s;
}

Pairs GetPairs(Napi::Env env, Napi::Value v, const std::string& what) {
  Napi::Object o = GetObject(env, v, what);
  Pairs p;
  p.src = GetInt32Array(env, o.Get("src"), what + ".src");
  p.src_off = GetInt32Array(env, o.Get("srcOffsets"), what + ".srcOffsets");
  p.tgt = GetInt32Array(env, o.Get("tgt"), what + ".tgt");
  p.tgt_off = GetInt32Array(env, o.Get("tgtOffsets"), what + ".tgtOffsets");
  return p;
}

Napi::Value JsonToJs(Napi::Env env, const Json& j) {
  switch (j.type) {
    case Json::Null: return env.Null();
    case Json::Bool: return Napi::Boolean::New(env, j.b);
    case Json::Number: return Napi::Number::New(env, j.num);
    case Json::String: return Napi::String::New(env, j.str);
    case Json::Array: {
      Napi::Array a = Napi::Array::New(env, j.arr.size());
      for (size_t i = 0; i < j.arr.size(); ++i) a.Set((uint32_t)i, JsonToJs(env, j.arr[i]));
      return a;
    }
    case Json::Object: {
      Napi::Object o = Napi::Object::New(env);
      for (auto& kv : j.obj) o.Set(kv.first, JsonToJs(env, kv.second));
      return o;
    }
  }
  return env.Undefined();
}

}  // namespace rg::napi
