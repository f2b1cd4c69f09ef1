// A small JSON reader/writer for config.json, trainer state and safetensors headers.
// Errors say where (byte offset) and what; they are rg::Error with code EFORMAT.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rg {

struct Json {
  enum Type { Null, Bool, Number, String, Array, Object } type = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;  // keeps key order

  static Json parse(const std::string& text, const std::string& what);
  std::string dump() const;

  const Json* find(const std::string& key) const;
  // Typed getters naming `what` (e.g. "config.json") and the key in their errors.
  double number(const std::string& key, const std::string& what) const;
  double number_or(const std::string& key, double dflt, const std::string& what) const;
  std::string string_or(const std::string& key, const std::string& dflt, const std::string& what) const;

  static Json make_number(double v) { Json j; j.type = Number; j.num = v; return j; }
  static Json make_string(std::string s) { Json j; j.type = String; j.str = std::move(s); return j; }
  static Json make_bool(bool v) { Json j; j.type = Bool; j.b = v; return j; }
  static Json make_object() { Json j; j.type = Object; return j; }
  static Json make_array() { Json j; j.type = Array; return j; }
  Json& set(const std::string& key, Json v);
};

}  // namespace rg
