// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/nfs_url.h"

namespace localio::harness {
namespace {

// "/a/b" + "f" -> "/a/b/f"; handles a trailing slash and an empty file.
std::string Join(const std::string& dir, const std::string& file) {
  std::string path = dir.empty() || dir.front() != '/' ? "/" + dir : dir;
  if (file.empty()) return path;
  if (path.back() != '/') path += '/';
  return path + (file.front() == '/' ? file.substr(1) : file);
}

}  // namespace

std::string NfsUrl(const ExportAddress& address, int version, const std::string& file) {
  if (version == 4) {
    return "nfs://127.0.0.1" + Join(address.pseudo, file) +
           "?version=4&nfsport=" + std::to_string(address.nfs_port);
  }
  return "nfs://127.0.0.1" + Join(address.path, file) +
         "?nfsport=" + std::to_string(address.nfs_port) +
         "&mountport=" + std::to_string(address.mnt_port);
}

}  // namespace localio::harness
