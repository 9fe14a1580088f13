// SPDX-License-Identifier: LGPL-3.0-or-later
#include "temp_tree.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace localio::test {

TempTree::TempTree(const std::string& prefix, const std::string& base) {
  std::string pattern = base + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  char canonical[PATH_MAX];
  if (mkdtemp(buf.data()) == nullptr || realpath(buf.data(), canonical) == nullptr) {
    std::perror(("cannot create a temp dir " + pattern).c_str());
    std::abort();
  }
  path_ = canonical;
}

TempTree::~TempTree() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool TempTree::MakeDir(const std::string& rel) const {
  std::error_code ec;
  std::filesystem::create_directories(Path(rel), ec);
  return !ec;
}

bool TempTree::MakeFile(const std::string& rel, const std::string& content) const {
  const std::filesystem::path p(Path(rel));
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) return false;
  const int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, content.data(), content.size()) ==
                  static_cast<ssize_t>(content.size());
  return close(fd) == 0 && ok;
}

bool TempTree::MakeSymlink(const std::string& rel, const std::string& target) const {
  return symlink(target.c_str(), Path(rel).c_str()) == 0;
}

}  // namespace localio::test
