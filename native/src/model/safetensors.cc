#include "model/safetensors.h"

#include <cstring>

#include "common/error.h"
#include "common/fileio.h"
#include "common/json.h"

namespace rg {

void write_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  Json h = Json::make_object();
  if (!metadata.empty()) {
    Json m = Json::make_object();
    for (auto& kv : metadata) m.set(kv.first, Json::make_string(kv.second));
    h.set("__metadata__", m);
  }
  size_t off = 0;
  for (auto& t : tensors) {
    size_t n = 1;
    Json shape = Json::make_array();
    for (int64_t s : t.shape) {
      n *= (size_t)s;
      shape.arr.push_back(Json::make_number((double)s));
    }
    Json e = Json::make_object();
    e.set("dtype", Json::make_string("F32"));
    e.set("shape", shape);
    Json offs = Json::make_array();
    offs.arr.push_back(Json::make_number((double)off));
    offs.arr.push_back(Json::make_number((double)(off + n * 4)));
    e.set("data_offsets", offs);
    h.set(t.name, e);
    off += n * 4;
  }
  std::string header = h.dump();
  while (header.size() % 8) header += ' ';
  char len[8];
  uint64_t hl = header.size();
  for (int i = 0; i < 8; ++i) len[i] = (char)((hl >> (8 * i)) & 0xFF);
  // Straight from the tensors' memory (x86-64 is little-endian): no copy of the data.
  std::vector<std::pair<const void*, size_t>> parts{{len, 8}, {header.data(), header.size()}};
  for (auto& t : tensors) {
    size_t n = 1;
    for (int64_t s : t.shape) n *= (size_t)s;
    parts.push_back({t.data, n * 4});
  }
  write_file_atomic(path, parts);
}

std::map<std::string, LoadedTensor> read_safetensors(const std::string& path,
                                                     std::map<std::string, std::string>* metadata) {
  std::string buf = read_file(path);
  auto bad = [&](const std::string& m) { fail("EFORMAT", path + ": not a valid safetensors file: " + m); };
  if (buf.size() < 8) bad("shorter than 8 bytes");
  uint64_t hl = 0;
  for (int i = 0; i < 8; ++i) hl |= (uint64_t)(unsigned char)buf[i] << (8 * i);
  if (hl > buf.size() - 8 || hl > (100u << 20)) bad("header size " + std::to_string(hl) + " exceeds the file");
  Json h = Json::parse(buf.substr(8, hl), path + " (header)");
  if (h.type != Json::Object) bad("header is not a JSON object");
  const size_t data0 = 8 + hl, data_len = buf.size() - data0;
  std::map<std::string, LoadedTensor> out;
  for (auto& kv : h.obj) {
    if (kv.first == "__metadata__") {
      if (metadata && kv.second.type == Json::Object)
        for (auto& m : kv.second.obj)
          if (m.second.type == Json::String) (*metadata)[m.first] = m.second.str;
      continue;
    }
    const Json& e = kv.second;
    std::string where = "tensor '" + kv.first + "'";
    if (e.type != Json::Object) bad(where + " is not an object");
    std::string dtype = e.string_or("dtype", "", path);
    if (dtype != "F32") bad(where + " has dtype " + dtype + " (only F32 is supported)");
    const Json* shape = e.find("shape");
    const Json* offs = e.find("data_offsets");
    if (!shape || shape->type != Json::Array || !offs || offs->type != Json::Array || offs->arr.size() != 2)
      bad(where + " lacks shape or data_offsets");
    LoadedTensor t;
    size_t n = 1;
    for (auto& s : shape->arr) {
      if (s.type != Json::Number || s.num < 0 || s.num > 1e12) bad(where + " has a bad shape");
      t.shape.push_back((int64_t)s.num);
      n *= (size_t)s.num;
    }
    double b = offs->arr[0].num, en = offs->arr[1].num;
    if (b < 0 || en < b || en > (double)data_len || (size_t)(en - b) != n * 4)
      bad(where + " has data_offsets outside the file or not matching its shape");
    t.data.resize(n);
    std::memcpy(t.data.data(), buf.data() + data0 + (size_t)b, n * 4);
    out[kv.first] = std::move(t);
  }
  return out;
}

}  // namespace rg
