// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/temp_dir.h"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "harness/files.h"

namespace localio::harness {

bool KeepTempDirs() {
  const char* keep = std::getenv("LOCALIO_KEEP_TMP");
  return keep != nullptr && std::strcmp(keep, "1") == 0;
}

TempDir::TempDir(const std::string& prefix, const std::string& base) {
  if (Status s = Create(prefix, base); !s.ok()) {
    std::fprintf(stderr, "harness: cannot create a temp dir: %s (errno %d)\n", s.message.c_str(),
                 -s.code);
    std::abort();
  }
}

TempDir::~TempDir() { Remove(); }

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

Status TempDir::Create(const std::string& prefix, const std::string& base) {
  if (!path_.empty()) return Status::Error(-EINVAL, "TempDir::Create called twice (" + path_ + ")");
  const char* env = std::getenv("TMPDIR");
  const std::string dir = !base.empty() ? base : env != nullptr && *env != '\0' ? env : "/tmp";
  std::string tmpl = dir + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    const int err = errno;
    return Status::Error(-err, "mkdtemp(" + tmpl + ") failed: " + std::strerror(err));
  }
  // Canonical, so that paths built on it compare equal to what a server
  // (or realpath in the code under test) makes of them.
  char canonical[PATH_MAX];
  if (realpath(buf.data(), canonical) == nullptr) {
    const int err = errno;
    rmdir(buf.data());
    return Status::Error(-err,
                         std::string("realpath(") + buf.data() + ") failed: " + std::strerror(err));
  }
  path_ = canonical;
  return Status::Ok();
}

bool TempDir::MakeDir(const std::string& rel) const {
  std::error_code ec;
  std::filesystem::create_directories(Path(rel), ec);
  return !ec;
}

bool TempDir::MakeFile(const std::string& rel, const std::string& content) const {
  const std::filesystem::path p(Path(rel));
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  return !ec && WriteFile(p.string(), content);
}

bool TempDir::MakeSymlink(const std::string& rel, const std::string& target) const {
  return symlink(target.c_str(), Path(rel).c_str()) == 0;
}

void TempDir::Remove() {
  if (path_.empty()) return;
  if (KeepTempDirs()) {
    std::fprintf(stderr, "harness: keeping %s (LOCALIO_KEEP_TMP=1)\n", path_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) std::fprintf(stderr, "harness: could not remove %s: %s\n", path_.c_str(),
                         ec.message().c_str());
  }
  path_.clear();
}

}  // namespace localio::harness
