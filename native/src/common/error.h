// One error type for everything native: a stable machine-readable code plus a message.
// The N-API layer turns it into a JavaScript RegurgitateNativeError with `code`.
#pragma once
#include <stdexcept>
#include <string>

namespace rg {

// Codes: EINVAL (bad argument), ERANGE (id/size out of range), EIO (file), EFORMAT
// (corrupt or foreign file), ECANCELED (cancelled), ENOMEM, EBACKEND, EINTERNAL.
class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& msg) : std::runtime_error(msg), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& msg) { throw Error(code, msg); }

}  // namespace rg
