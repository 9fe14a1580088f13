// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/temp_dir.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace localio::harness {

bool KeepTempDirs() {
  const char* keep = std::getenv("LOCALIO_KEEP_TMP");
  return keep != nullptr && std::strcmp(keep, "1") == 0;
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
  path_ = buf.data();
  return Status::Ok();
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
