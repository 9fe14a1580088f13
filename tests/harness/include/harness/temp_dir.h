/* SPDX-License-Identifier: LGPL-3.0-or-later */
// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object dies, unless LOCALIO_KEEP_TMP=1 is set in the environment
// (then its path is printed so a failed run can be inspected).
#pragma once

#include <string>

#include "localio/status.h"

namespace localio::harness {

class TempDir {
 public:
  TempDir() = default;
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;

  // Creates the directory "<base>/<prefix>.XXXXXX"; base defaults to
  // $TMPDIR or /tmp. Call once.
  Status Create(const std::string& prefix, const std::string& base = "");
  const std::string& path() const { return path_; }
  // Removes it now (or keeps it, see above); idempotent.
  void Remove();

 private:
  std::string path_;
};

// True when LOCALIO_KEEP_TMP=1: temp dirs are left for inspection.
bool KeepTempDirs();

}  // namespace localio::harness
