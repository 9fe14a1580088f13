// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/random_file.h"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <random>
#include <vector>

#include "harness/process.h"

namespace localio::harness {

Status WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> block(1 << 17);  // 1 MiB
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (uint64_t done = 0; done < size && out;) {
    for (uint64_t& w : block) w = rng();
    const uint64_t n = std::min<uint64_t>(size - done, block.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    done += n;
  }
  if (!out.flush()) return Status::Error(-EIO, "cannot write " + path);
  return Status::Ok();
}

std::string Sha256File(const std::string& path) {
  CommandResult r;
  const Status s = RunCommand({"sha256sum", path}, std::chrono::minutes(2), &r);
  if (!s.ok()) return "error: " + s.message;
  if (!r.Succeeded()) return "error: sha256sum " + path + ": " + r.Describe();
  return r.out.substr(0, r.out.find(' '));
}

}  // namespace localio::harness
