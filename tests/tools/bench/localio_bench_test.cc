// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-bench end to end: it starts its own ganesha.nfsd, runs the
// requested cases in the three modes and writes a CSV and a PNG. The test
// checks the shape of the results (every case, every mode, positive
// figures, the localio mode really bypassed), never their values.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/process.h"
#include "harness/temp_dir.h"

namespace localio::harness {
namespace {

// Splits one CSV line; the last column (notes) may be quoted with commas.
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
    } else if (ch == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += ch;
    }
  }
  return fields;
}

TEST(LocalioBench, CsvHasEveryRequestedCaseWithPositiveFiguresInEveryMode) {
  TempDir dir;
  ASSERT_TRUE(dir.Create("localio-bench-test").ok());
  const std::string csv = dir.path() + "/bench.csv";
  const std::string png = dir.path() + "/bench.png";
  const std::vector<std::string> cases = {"v3-randread-4k-t1-sync", "v4-randread-4k-t1-sync",
                                          "v3-seqwrite-64k-t1-sync", "v4-seqwrite-8k-t1-sync",
                                          "v3-randread-4k-t1-qd4", "v4-seqread-1m-t2-sync"};
  std::vector<std::string> argv = {LOCALIO_BENCH_TOOL, "--quiet", "--duration", "0.3",
                                   "--size", "8", "--csv", csv, "--png", png};
  for (const std::string& c : cases) argv.insert(argv.end(), {"--case", c});
  CommandResult run;
  ASSERT_TRUE(RunCommand(argv, std::chrono::seconds(240), &run).ok());
  ASSERT_TRUE(run.Succeeded()) << run.Describe() << "\n" << run.out;

  std::istringstream in(ReadFile(csv));
  std::string line;
  ASSERT_TRUE(std::getline(in, line)) << "empty CSV";
  const std::vector<std::string> header = CsvFields(line);
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* name : {"case", "rpc_ops_per_s", "rpc_mib_per_s", "localio_ops_per_s",
                           "localio_mib_per_s", "local_ops_per_s", "local_mib_per_s",
                           "localio_bypassed_ops", "localio_over_rpc", "localio_over_local"})
    ASSERT_TRUE(column.count(name)) << "CSV header lacks " << name << ": " << line;

  std::map<std::string, std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f = CsvFields(line);
    ASSERT_EQ(f.size(), header.size()) << line;
    rows[f[column["case"]]] = f;
  }
  EXPECT_EQ(rows.size(), cases.size());
  for (const std::string& c : cases) {
    ASSERT_TRUE(rows.count(c)) << "case " << c << " missing from the CSV";
    const std::vector<std::string>& f = rows[c];
    for (const char* name : {"rpc_ops_per_s", "rpc_mib_per_s", "localio_ops_per_s",
                             "localio_mib_per_s", "local_ops_per_s", "local_mib_per_s",
                             "localio_over_rpc", "localio_over_local"}) {
      const std::string& v = f[column[name]];
      EXPECT_FALSE(v.empty()) << c << ": no " << name << " (notes: " << f.back() << ")";
      if (!v.empty()) {
        EXPECT_GT(std::stod(v), 0.0) << c << ": " << name;
      }
    }
    EXPECT_GT(std::stoull(f[column["localio_bypassed_ops"]]), 0u)
        << c << ": the localio mode served nothing from the local file (notes: " << f.back()
        << ")";
  }
  // Every case is also in the printed table.
  for (const std::string& c : cases) EXPECT_NE(run.out.find(c), std::string::npos) << c;

  const std::string image = ReadFile(png);
  ASSERT_GE(image.size(), 8u) << "no PNG written";
  EXPECT_EQ(image.substr(1, 3), "PNG");
}

TEST(LocalioBench, RejectsAMalformedCaseNamingIt) {
  CommandResult run;
  ASSERT_TRUE(RunCommand({LOCALIO_BENCH_TOOL, "--case", "v5-randread-4k-t1-sync"},
                         std::chrono::seconds(30), &run)
                  .ok());
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("v5"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace localio::harness
