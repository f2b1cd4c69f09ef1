#pragma once
#include <new>

#include "common/error.h"
#include "napi/register.h"

namespace rg::napi {

template <typename F>
auto Guard(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const rg::Error& e) {
    throw MakeError(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw MakeError(env, "ENOMEM", "out of memory");
  } catch (const std::exception& e) {
    throw MakeError(env, "EINTERNAL", e.what());
  }
}

}  // namespace rg::napi
