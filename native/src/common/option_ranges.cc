#include "common/option_ranges.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rg {

std::string shortest_number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  char b[64];
  if (v == std::floor(v) && std::fabs(v) < 1e21) {
    std::snprintf(b, sizeof b, "%.0f", v);
    return b;
  }
  int p = 1;  // significant digits
  for (; p < 17; ++p) {
    std::snprintf(b, sizeof b, "%.*e", p - 1, v);
    if (std::strtod(b, nullptr) == v) break;
  }
  std::snprintf(b, sizeof b, "%.*e", p - 1, v);
  const char* ep = std::strchr(b, 'e');
  const int e = std::atoi(ep + 1);
  if (e >= -6 && e < 21) {  // JavaScript's fixed range
    std::snprintf(b, sizeof b, "%.*f", std::max(0, p - 1 - e), v);
    return b;
  }
  return std::string(b, (size_t)(ep - b)) + (e < 0 ? "e-" : "e+") + std::to_string(std::abs(e));
}

bool OptionRange::contains(double x) const {
  if (!std::isfinite(x) || (integer && x != std::floor(x))) return false;
  return (min_open ? x > min : x >= min) && (max_open ? x < max : x <= max);
}

bool OptionRange::contains_float(float x) const {
  if (!std::isfinite(x)) return false;
  return x >= (float)min && (max == ranges::kInf || x <= (float)max);
}

std::string OptionRange::describe() const {
  auto num = shortest_number;
  const std::string what = integer ? "an integer" : "a finite number";
  if (max == ranges::kInf) return what + (min_open ? " > " : " >= ") + num(min);
  return what + " in " + (min_open ? "(" : "[") + num(min) + ", " + num(max) + (max_open ? ")" : "]");
}

}  // namespace rg
