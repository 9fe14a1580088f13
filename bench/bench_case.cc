// SPDX-License-Identifier: LGPL-3.0-or-later
#include "bench_case.h"

#include <charconv>
#include <sstream>

namespace localio::bench {

namespace {

bool ParseInt(const std::string& text, int min, int max, int* out) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

bool ParseOp(const std::string& op, Case* c) {
  if (op == "seqread" || op == "randread" || op == "seqwrite" || op == "randwrite") {
    c->random = op.starts_with("rand");
    c->write = op.ends_with("write");
    return true;
  }
  return false;
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kRpc: return "rpc";
    case Mode::kLocalio: return "localio";
    case Mode::kLocal: return "local";
  }
  return "?";
}

bool ParseMode(const std::string& text, Mode* mode) {
  for (Mode m : kModes)
    if (text == ModeName(m)) {
      *mode = m;
      return true;
    }
  return false;
}

bool ParseBlock(const std::string& text, uint64_t* bytes) {
  if (text.empty()) return false;
  uint64_t unit = 1;
  std::string digits = text;
  const char last = digits.back();
  if (last == 'k' || last == 'K') unit = 1024;
  if (last == 'm' || last == 'M') unit = 1024 * 1024;
  if (unit != 1) digits.pop_back();
  int v = 0;
  if (!ParseInt(digits, 1, 1 << 30, &v)) return false;
  const uint64_t b = static_cast<uint64_t>(v) * unit;
  if (b < 4096 || b > 1024 * 1024 || b % 512 != 0) return false;
  *bytes = b;
  return true;
}

std::string BlockName(uint64_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "m";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + "k";
  return std::to_string(bytes);
}

std::string CaseName(const Case& c) {
  return "v" + std::to_string(c.version) + "-" + (c.random ? "rand" : "seq") +
         (c.write ? "write" : "read") + "-" + BlockName(c.block) + "-t" +
         std::to_string(c.threads) + "-" +
         (c.async() ? "qd" + std::to_string(c.queue_depth) : std::string("sync"));
}

bool ParseCase(const std::string& name, Case* out, std::string* error) {
  const std::vector<std::string> p = Split(name, '-');
  Case c;
  if (p.size() != 5) {
    *error = "case '" + name + "': expected v<3|4>-<seq|rand><read|write>-<block>-t<N>-<sync|qdN>";
    return false;
  }
  if (p[0] == "v3" || p[0] == "v4") {
    c.version = p[0][1] - '0';
  } else {
    *error = "case '" + name + "': version '" + p[0] + "' is not v3 or v4";
    return false;
  }
  if (!ParseOp(p[1], &c)) {
    *error = "case '" + name + "': '" + p[1] + "' is not seqread, randread, seqwrite or randwrite";
    return false;
  }
  if (!ParseBlock(p[2], &c.block)) {
    *error = "case '" + name + "': block '" + p[2] + "' is not 4k..1m (a multiple of 512)";
    return false;
  }
  if (p[3].size() < 2 || p[3][0] != 't' || !ParseInt(p[3].substr(1), 1, 64, &c.threads)) {
    *error = "case '" + name + "': threads '" + p[3] + "' is not t1..t64";
    return false;
  }
  if (p[4] == "sync") {
    c.queue_depth = 0;
  } else if (p[4].size() < 3 || !p[4].starts_with("qd") ||
             !ParseInt(p[4].substr(2), 1, 256, &c.queue_depth)) {
    *error = "case '" + name + "': '" + p[4] + "' is not sync or qd1..qd256";
    return false;
  }
  *out = c;
  return true;
}

std::vector<Case> DefaultCases() {
  std::vector<Case> cases;
  std::string ignored;
  for (const char* name :
       {"v3-randread-4k-t1-sync", "v4-randread-4k-t1-sync", "v3-seqread-1m-t1-sync",
        "v4-seqread-1m-t1-sync", "v3-seqwrite-1m-t1-sync", "v4-seqwrite-1m-t1-sync",
        "v3-randwrite-4k-t1-sync", "v3-seqread-64k-t1-sync", "v3-randread-4k-t1-qd8",
        "v4-randread-4k-t1-qd8", "v3-randread-4k-t2-sync", "v4-randread-4k-t2-sync",
        // the async path under the shim: queue depth 1 and 8, reads and writes
        "v3-randread-4k-t1-qd1", "v4-randread-4k-t1-qd1", "v3-randwrite-4k-t1-qd1",
        "v4-randwrite-4k-t1-qd1", "v3-randwrite-4k-t1-qd8", "v4-randwrite-4k-t1-qd8"}) {
    Case c;
    ParseCase(name, &c, &ignored);
    cases.push_back(c);
  }
  return cases;
}

bool ExpandMatrix(const CaseMatrix& m, std::vector<Case>* out, std::string* error) {
  for (int v : m.versions)
    for (const std::string& op : m.ops)
      for (uint64_t b : m.blocks)
        for (int t : m.threads)
          for (int qd : m.queue_depths) {
            Case c;
            c.version = v;
            c.block = b;
            c.threads = t;
            c.queue_depth = qd;
            if ((v != 3 && v != 4) || !ParseOp(op, &c) || t < 1 || qd < 0) {
              *error = "bad dimension value in --versions/--ops/--threads/--qd";
              return false;
            }
            out->push_back(c);
          }
  return true;
}

}  // namespace localio::bench
