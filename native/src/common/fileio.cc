#include "common/fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace rg {
namespace {

std::string sys_err() { return std::strerror(errno); }

std::string dir_of(const std::string& path) {
  size_t s = path.find_last_of('/');
  return s == std::string::npos ? "." : (s == 0 ? "/" : path.substr(0, s));
}

}  // namespace

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void write_file_atomic(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts) {
  static std::atomic<unsigned> counter{0};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("EIO", "cannot write " + path + ": " + sys_err());
  for (auto [data, bytes] : parts) {
    const char* p = (const char*)data;
    size_t left = bytes;
    while (left > 0) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        std::string e = sys_err();
        ::close(fd);
        ::unlink(tmp.c_str());
        fail("EIO", "cannot write " + path + ": " + e);
      }
      p += w;
      left -= (size_t)w;
    }
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string e = sys_err();
    ::unlink(tmp.c_str());
    fail("EIO", "cannot write " + path + ": " + e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = sys_err();
    ::unlink(tmp.c_str());
    fail("EIO", "cannot rename " + tmp + " to " + path + ": " + e);
  }
  fsync_dir(dir_of(path));
}

void write_file_atomic(const std::string& path, const void* data, size_t bytes) {
  write_file_atomic(path, {{data, bytes}});
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

std::string read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("EIO", "cannot read " + path + ": " + sys_err());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("EIO", "cannot read " + path + ": not a regular file");
  }
  std::string out;
  out.resize((size_t)st.st_size);
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::read(fd, &out[got], out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  ::close(fd);
  if (got != out.size()) fail("EIO", "cannot read " + path + ": short read");
  return out;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void make_dirs(const std::string& path) {
  if (path.empty()) return;
  std::string cur;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    cur = path.substr(0, j);
    if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
      fail("EIO", "cannot create directory " + cur + ": " + sys_err());
    i = j + 1;
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail("EIO", "not a directory: " + path);
}

void remove_tree(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) {
    ::unlink(path.c_str());
    return;
  }
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = path + "/" + n;
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
    else ::unlink(p.c_str());
  }
  ::closedir(d);
  ::rmdir(path.c_str());
}

}  // namespace rg
