// Files are written to a temporary name in the same directory, flushed, then renamed:
// a crash or kill never leaves a half-written file under the real name.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace rg {

void write_file_atomic(const std::string& path, const void* data, size_t bytes);
// The concatenation of `parts` (pointer, bytes), written without copying it first.
void write_file_atomic(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts);
void write_file_atomic(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);  // rg::Error EIO naming the path
bool file_exists(const std::string& path);
void make_dirs(const std::string& path);         // mkdir -p
void remove_tree(const std::string& path);       // rm -r (for our own checkpoint dirs only)
void fsync_dir(const std::string& dir);

}  // namespace rg
