#include "common/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/error.h"

namespace rg {
namespace {

struct Parser {
  const std::string& s;
  const std::string& what;
  size_t i = 0;

  [[noreturn]] void bad(const std::string& msg) {
    fail("EFORMAT", what + ": invalid JSON at byte " + std::to_string(i) + ": " + msg);
  }
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  }
  Json value(int depth) {
    if (depth > 64) bad("nested too deeply");
    ws();
    if (i >= s.size()) bad("unexpected end");
    char c = s[i];
    if (c == '{') return object(depth);
    if (c == '[') return array(depth);
    if (c == '"') return Json::make_string(string());
    if (c == 't' && s.compare(i, 4, "true") == 0) { i += 4; return Json::make_bool(true); }
    if (c == 'f' && s.compare(i, 5, "false") == 0) { i += 5; return Json::make_bool(false); }
    if (c == 'n' && s.compare(i, 4, "null") == 0) { i += 4; return Json(); }
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    bad(std::string("unexpected character '") + c + "'");
  }
  Json number() {
    size_t start = i;
    if (s[i] == '-') ++i;
    while (i < s.size() && (isdigit((unsigned char)s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                            s[i] == '+' || s[i] == '-'))
      ++i;
    std::string t = s.substr(start, i - start);
    char* end = nullptr;
    double v = std::strtod(t.c_str(), &end);
    if (!end || *end != 0 || t.empty()) bad("bad number '" + t + "'");
    return Json::make_number(v);
  }
  std::string string() {
    ++i;  // opening quote
    std::string out;
    while (true) {
      if (i >= s.size()) bad("unterminated string");
      char c = s[i++];
      if (c == '"') break;
      if ((unsigned char)c < 0x20) bad("control character in string");
      if (c != '\\') { out += c; continue; }
      if (i >= s.size()) bad("unterminated escape");
      char e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (i + 4 > s.size()) bad("short \\u escape");
          unsigned cp = (unsigned)std::strtoul(s.substr(i, 4).c_str(), nullptr, 16);
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
            unsigned lo = (unsigned)std::strtoul(s.substr(i + 2, 4).c_str(), nullptr, 16);
            if (lo >= 0xDC00 && lo <= 0xDFFF) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); i += 6; }
          }
          if (cp < 0x80) out += (char)cp;
          else if (cp < 0x800) { out += (char)(0xC0 | (cp >> 6)); out += (char)(0x80 | (cp & 63)); }
          else if (cp < 0x10000) { out += (char)(0xE0 | (cp >> 12)); out += (char)(0x80 | ((cp >> 6) & 63)); out += (char)(0x80 | (cp & 63)); }
          else { out += (char)(0xF0 | (cp >> 18)); out += (char)(0x80 | ((cp >> 12) & 63)); out += (char)(0x80 | ((cp >> 6) & 63)); out += (char)(0x80 | (cp & 63)); }
          break;
        }
        default: bad("bad escape");
      }
    }
    return out;
  }
  Json array(int depth) {
    Json j = Json::make_array();
    ++i;
    ws();
    if (i < s.size() && s[i] == ']') { ++i; return j; }
    while (true) {
      j.arr.push_back(value(depth + 1));
      ws();
      if (i >= s.size()) bad("unterminated array");
      if (s[i] == ',') { ++i; continue; }
      if (s[i] == ']') { ++i; return j; }
      bad("expected ',' or ']'");
    }
  }
  Json object(int depth) {
    Json j = Json::make_object();
    ++i;
    ws();
    if (i < s.size() && s[i] == '}') { ++i; return j; }
    while (true) {
      ws();
      if (i >= s.size() || s[i] != '"') bad("expected a key string");
      std::string k = string();
      ws();
      if (i >= s.size() || s[i] != ':') bad("expected ':'");
      ++i;
      j.obj.emplace_back(k, value(depth + 1));
      ws();
      if (i >= s.size()) bad("unterminated object");
      if (s[i] == ',') { ++i; continue; }
      if (s[i] == '}') { ++i; return j; }
      bad("expected ',' or '}'");
    }
  }
};

void dump_string(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; }
    else out += (char)c;
  }
  out += '"';
}

void dump(const Json& j, std::string& out) {
  switch (j.type) {
    case Json::Null: out += "null"; break;
    case Json::Bool: out += j.b ? "true" : "false"; break;
    case Json::Number: {
      if (!std::isfinite(j.num)) { out += "null"; break; }
      char b[40];
      if (j.num == std::floor(j.num) && std::fabs(j.num) < 9e15) std::snprintf(b, sizeof b, "%.0f", j.num);
      else std::snprintf(b, sizeof b, "%.17g", j.num);
      out += b;
      break;
    }
    case Json::String: dump_string(j.str, out); break;
    case Json::Array:
      out += '[';
      for (size_t k = 0; k < j.arr.size(); ++k) { if (k) out += ','; dump(j.arr[k], out); }
      out += ']';
      break;
    case Json::Object:
      out += '{';
      for (size_t k = 0; k < j.obj.size(); ++k) {
        if (k) out += ',';
        dump_string(j.obj[k].first, out);
        out += ':';
        dump(j.obj[k].second, out);
      }
      out += '}';
      break;
  }
}

}  // namespace

Json Json::parse(const std::string& text, const std::string& what) {
  Parser p{text, what};
  Json j = p.value(0);
  p.ws();
  if (p.i != text.size()) p.bad("trailing characters");
  return j;
}

std::string Json::dump() const {
  std::string out;
  rg::dump(*this, out);
  return out;
}

const Json* Json::find(const std::string& key) const {
  if (type != Object) return nullptr;
  for (auto& kv : obj)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

double Json::number(const std::string& key, const std::string& what) const {
  const Json* v = find(key);
  if (!v) fail("EFORMAT", what + ": missing field '" + key + "'");
  if (v->type != Number) fail("EFORMAT", what + ": field '" + key + "' must be a number");
  return v->num;
}

double Json::number_or(const std::string& key, double dflt, const std::string& what) const {
  const Json* v = find(key);
  if (!v || v->type == Null) return dflt;
  if (v->type != Number) fail("EFORMAT", what + ": field '" + key + "' must be a number");
  return v->num;
}

std::string Json::string_or(const std::string& key, const std::string& dflt, const std::string& what) const {
  const Json* v = find(key);
  if (!v || v->type == Null) return dflt;
  if (v->type != String) fail("EFORMAT", what + ": field '" + key + "' must be a string");
  return v->str;
}

Json& Json::set(const std::string& key, Json v) {
  for (auto& kv : obj)
    if (kv.first == key) { kv.second = std::move(v); return kv.second; }
  obj.emplace_back(key, std::move(v));
  return obj.back().second;
}

}  // namespace rg
