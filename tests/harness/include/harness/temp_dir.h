/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A fresh directory under $TMPDIR (or /tmp, or a base the test names: maps
// go on /dev/shm, tmpfs like production), removed with everything in it
// when the object dies, unless LOCALIO_KEEP_TMP=1 is set in the environment
// (then its path is printed so a failed run can be inspected). The path is
// canonical (realpath), as a server resolving it sees it.
#pragma once

#include <string>

#include "localio/status.h"

namespace localio::harness {

class TempDir {
 public:
  // Empty until Create(): for code that reports a failure as a Status.
  TempDir() = default;
  // Creates it at once, as Create() does; a failure ends the program with
  // a message naming the path and errno (a test cannot run without it).
  explicit TempDir(const std::string& prefix, const std::string& base = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  // Creates the directory "<base>/<prefix>.XXXXXX"; base defaults to
  // $TMPDIR or /tmp. Call once.
  Status Create(const std::string& prefix, const std::string& base = "");
  const std::string& path() const { return path_; }
  // "<path>/<rel>".
  std::string Path(const std::string& rel) const { return path_ + "/" + rel; }
  // Creates rel (and its missing parents) as a directory / a small file /
  // a symlink to `target`. False on error.
  bool MakeDir(const std::string& rel) const;
  bool MakeFile(const std::string& rel, const std::string& content = "x") const;
  bool MakeSymlink(const std::string& rel, const std::string& target) const;
  // Removes it now (or keeps it, see above); idempotent.
  void Remove();

 private:
  std::string path_;
};

// True when LOCALIO_KEEP_TMP=1: temp dirs are left for inspection.
bool KeepTempDirs();

}  // namespace localio::harness
