/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A private directory tree for tests that need real files (handles from the
// kernel, renames, unlinks), removed with everything in it on destruction.
#ifndef LOCALIO_TESTS_FSAL_LOCALIO_TEMP_TREE_H
#define LOCALIO_TESTS_FSAL_LOCALIO_TEMP_TREE_H

#include <string>

namespace localio::test {

class TempTree {
 public:
  // "<base>/<prefix>.XXXXXX", canonical (realpath), as the server sees it.
  // Aborts the test program when it cannot be created.
  explicit TempTree(const std::string& prefix, const std::string& base = "/tmp");
  ~TempTree();
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& path() const { return path_; }
  std::string Path(const std::string& rel) const { return path_ + "/" + rel; }
  // Creates rel (and its missing parents) as a directory / a small file /
  // a symlink to `target`. False on error.
  bool MakeDir(const std::string& rel) const;
  bool MakeFile(const std::string& rel, const std::string& content = "x") const;
  bool MakeSymlink(const std::string& rel, const std::string& target) const;

 private:
  std::string path_;
};

}  // namespace localio::test

#endif  // LOCALIO_TESTS_FSAL_LOCALIO_TEMP_TREE_H
