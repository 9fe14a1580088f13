// SPDX-License-Identifier: LGPL-3.0-or-later
// The container model with mount namespaces instead of Docker (see
// namespaces.h): the real ganesha.nfsd exports the volume it sees at
// /srv/data; unmodified nfs-cp under liblocalio_preload.so runs in another
// namespace that sees the volume at /mnt/data and not at /srv/data; the
// map is shared through a tmpfs both namespaces see; the network is the
// host's loopback.
//   (a) Client_Root = /mnt/data in the export: the copy bypasses RPC
//       (under 5% of the bytes on lo, measured outside the plugin).
//   (b) no Client_Root, LOCALIO_PATH_MAP=/srv/data=/mnt/data: same.
//   (c) a client that cannot see the export directory at all (or sees it
//       but not where the map says): the copy still works, over RPC, the
//       data is right, the C API's counters show the "open" fallback and
//       the shim's one error line names the root it could not open.
#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "harness/loopback.h"
#include "harness/random_file.h"
#include "harness/process.h"
#include "harness/rpcbind.h"
#include "namespaces.h"
#include "stat_json.h"

namespace localio::container {
namespace {

namespace fs = std::filesystem;
using harness::CommandResult;
using harness::LoopbackBytes;
using harness::Sha256File;

constexpr uint64_t kBigFile = 64ull << 20;
constexpr uint64_t kSmallFile = 8ull << 20;
constexpr double kMaxBypassShare = 0.05;

Volumes* volumes = nullptr;

// Owns the shared volumes for the whole program (made before any thread).
class VolumesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    volumes = new Volumes();
    Status s = volumes->Create();
    if (s.ok()) s = harness::EnsureRpcbind();
    ASSERT_TRUE(s.ok()) << s.message;
  }
  void TearDown() override {
    delete volumes;
    volumes = nullptr;
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new VolumesEnvironment);

struct ClientRun {
  CommandResult result;
  uint64_t loopback = 0;
};

// A value "key=N" from the counters line of localio-container-client.
uint64_t Counter(const std::string& line, const std::string& key) {
  const std::string needle = " " + key + "=";
  size_t at = (" " + line).find(needle);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << key << " in: " << line;
    return 0;
  }
  return std::stoull(line.substr(at + needle.size() - 1));
}

class ContainerModel : public ::testing::Test {
 protected:
  static void StartServer(const std::vector<std::string>& fsal_lines) {
    server_ = new NamespacedServer();
    start_ = new Status(volumes == nullptr ? Status::Error(-ENOENT, "no volumes")
                                           : server_->Start(*volumes, fsal_lines));
    if (start_->ok() && !fs::exists(volumes->scratch() + "/big.bin")) {
      *start_ = harness::WriteRandomFile(volumes->scratch() + "/big.bin", kBigFile, 1);
      if (start_->ok())
        *start_ = harness::WriteRandomFile(volumes->scratch() + "/small.bin", kSmallFile, 2);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    delete start_;
    server_ = nullptr;
    start_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(start_->ok()) << start_->message; }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::printf("%s\n", server_->LogTail().c_str());
  }

  static std::string Scratch(const std::string& name) { return volumes->scratch() + "/" + name; }
  static std::string OnVolume(const std::string& name) { return volumes->volume() + "/" + name; }

  static std::vector<std::string> ShimEnv(const std::string& path_map = "") {
    std::vector<std::string> env = {std::string("LD_PRELOAD=") + LOCALIO_PRELOAD_LIBRARY,
                                    "LOCALIO_MAP=" + volumes->map_path()};
    if (!path_map.empty()) env.push_back("LOCALIO_PATH_MAP=" + path_map);
    return env;
  }

  // For localio-container-client (the C API, no shim).
  static std::vector<std::string> ApiEnv(const std::string& path_map) {
    std::vector<std::string> env = {"LOCALIO_MAP=" + volumes->map_path()};
    if (!path_map.empty()) env.push_back("LOCALIO_PATH_MAP=" + path_map);
    return env;
  }

  static ClientRun InClient(ClientView view, const std::vector<std::string>& env,
                            const std::vector<std::string>& argv) {
    ClientRun run;
    const uint64_t before = LoopbackBytes();
    Status s =
        RunInClientNamespace(*volumes, view, env, argv, std::chrono::minutes(3), &run.result);
    run.loopback = LoopbackBytes() - before;
    EXPECT_TRUE(s.ok()) << s.message;
    return run;
  }

  static void Report(const std::string& what, const ClientRun& run, uint64_t size) {
    std::printf("[ share    ] %s: %llu bytes on lo for %llu bytes of data = %.3f%%\n", what.c_str(),
                static_cast<unsigned long long>(run.loopback),
                static_cast<unsigned long long>(size),
                100.0 * static_cast<double>(run.loopback) / static_cast<double>(size));
  }

  // nfs-cp into the export (v3) and out of it (v3, v4) under the shim in a
  // client namespace seeing the volume at /mnt/data; every copy bypasses.
  void ExpectCopiesBypass(const std::string& path_map, const std::string& tag) {
    const std::string name = "in-" + tag + ".bin";
    ClientRun in = InClient(ClientView::kAtClientRoot, ShimEnv(path_map),
                            {"nfs-cp", Scratch("big.bin"), server_->Url(3, name)});
    Report("nfs-cp into the export, v3, " + tag, in, kBigFile);
    ASSERT_TRUE(in.result.Succeeded()) << in.result.Describe();
    EXPECT_EQ(in.result.err, "") << "the shim reported a problem";
    EXPECT_LT(static_cast<double>(in.loopback), kMaxBypassShare * kBigFile);
    EXPECT_EQ(Sha256File(OnVolume(name)), Sha256File(Scratch("big.bin")));

    for (int version : {3, 4}) {
      SCOPED_TRACE("NFSv" + std::to_string(version));
      const std::string local = Scratch("out-" + tag + ".bin");
      ClientRun out = InClient(ClientView::kAtClientRoot, ShimEnv(path_map),
                               {"nfs-cp", server_->Url(version, name), local});
      Report("nfs-cp out of the export, v" + std::to_string(version) + ", " + tag, out, kBigFile);
      ASSERT_TRUE(out.result.Succeeded()) << out.result.Describe();
      EXPECT_EQ(out.result.err, "");
      EXPECT_LT(static_cast<double>(out.loopback), kMaxBypassShare * kBigFile);
      EXPECT_EQ(Sha256File(local), Sha256File(Scratch("big.bin")));
      fs::remove(local);
    }

    // The C API's counters agree: every byte read locally, no fallback.
    ClientRun api =
        InClient(ClientView::kAtClientRoot, ApiEnv(path_map),
                 {LOCALIO_CONTAINER_CLIENT, server_->Url(4, ""), name, Scratch("api.bin")});
    ASSERT_TRUE(api.result.Succeeded()) << api.result.Describe();
    EXPECT_EQ(Counter(api.result.out, "local"), 1u) << api.result.out;
    EXPECT_EQ(Counter(api.result.out, "read_bytes"), kBigFile) << api.result.out;
    EXPECT_EQ(Counter(api.result.out, "fallback.open"), 0u) << api.result.out;
    EXPECT_EQ(Sha256File(Scratch("api.bin")), Sha256File(Scratch("big.bin")));
    fs::remove(Scratch("api.bin"));
    fs::remove(OnVolume(name));
  }

  // The client cannot open the export's root where the map (and its path
  // map) put it: everything still works over RPC, and says why.
  void ExpectCleanFallback(ClientView view, const std::string& path_map,
                           const std::string& missing_root, const std::string& tag) {
    // A name of its own per test: names removed here behind the server's
    // back may stay in Ganesha's directory cache for its attribute expiry,
    // and nfs-cp never overwrites.
    std::string in_name = "fallback-in-" + tag + ".bin";
    for (char& c : in_name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.') c = '-';
    }
    const Status written = harness::WriteRandomFile(OnVolume("fallback.bin"), kSmallFile, 3);
    ASSERT_TRUE(written.ok()) << written.message;
    for (int version : {3, 4}) {
      SCOPED_TRACE("NFSv" + std::to_string(version));
      const std::string local = Scratch("fallback-out.bin");
      ClientRun out = InClient(view, ShimEnv(path_map),
                               {"nfs-cp", server_->Url(version, "fallback.bin"), local});
      Report("nfs-cp out of the export, v" + std::to_string(version) + ", " + tag, out, kSmallFile);
      ASSERT_TRUE(out.result.Succeeded()) << out.result.Describe();
      EXPECT_GT(out.loopback, kSmallFile) << "the data did not go through RPC";
      EXPECT_EQ(Sha256File(local), Sha256File(OnVolume("fallback.bin")));
      EXPECT_NE(out.result.err.find("cannot open its root " + missing_root), std::string::npos)
          << out.result.err;
      fs::remove(local);
    }
    // libnfs 4.0 cannot write over ~3.9 KiB per NFSv4 WRITE: v3 only.
    ClientRun in = InClient(view, ShimEnv(path_map),
                            {"nfs-cp", Scratch("small.bin"), server_->Url(3, in_name)});
    Report("nfs-cp into the export, v3, " + tag, in, kSmallFile);
    ASSERT_TRUE(in.result.Succeeded()) << in.result.Describe();
    EXPECT_GT(in.loopback, kSmallFile);
    EXPECT_EQ(Sha256File(OnVolume(in_name)), Sha256File(Scratch("small.bin")));

    ClientRun api = InClient(
        view, ApiEnv(path_map),
        {LOCALIO_CONTAINER_CLIENT, server_->Url(3, ""), "fallback.bin", Scratch("api.bin")});
    ASSERT_TRUE(api.result.Succeeded()) << api.result.Describe();
    const std::string& line = api.result.out;
    EXPECT_EQ(Counter(line, "local"), 1u) << "the handshake holds: the map is shared. " << line;
    EXPECT_EQ(Counter(line, "read_ops"), 0u) << line;
    EXPECT_GT(Counter(line, "fallback.open"), 0u) << line;
    EXPECT_EQ(Counter(line, "bytes"), kSmallFile) << line;
    EXPECT_EQ(Sha256File(Scratch("api.bin")), Sha256File(OnVolume("fallback.bin")));
    fs::remove(Scratch("api.bin"));
    fs::remove(OnVolume("fallback.bin"));
    fs::remove(OnVolume(in_name));
  }

  static NamespacedServer* server_;
  static Status* start_;
};

NamespacedServer* ContainerModel::server_ = nullptr;
Status* ContainerModel::start_ = nullptr;

class WithClientRoot : public ContainerModel {
 protected:
  static void SetUpTestSuite() { StartServer({std::string("Client_Root = ") + kClientRoot + ";"}); }
};

class WithPathMap : public ContainerModel {
 protected:
  static void SetUpTestSuite() { StartServer({}); }
};

TEST_F(WithClientRoot, ServerAndClientSeeTheVolumeAtDifferentPaths) {
  std::ofstream(OnVolume("probe")) << "probe\n";
  // The server's namespace, seen through its root: /srv/data only.
  const std::string server_root = "/proc/" + std::to_string(server_->ganesha_pid()) + "/root";
  EXPECT_TRUE(fs::exists(server_root + kServerRoot + "/probe"));
  EXPECT_FALSE(fs::exists(server_root + kClientRoot));
  EXPECT_FALSE(fs::exists(server_root + volumes->volume() + "/probe"));
  // A client's: /mnt/data only.
  CommandResult r;
  const std::string check = std::string("test -f ") + kClientRoot + "/probe && test ! -e " +
                            kServerRoot + " && test ! -e " + volumes->volume() +
                            "/probe && test -d " + volumes->map_dir();
  ASSERT_TRUE(RunInClientNamespace(*volumes, ClientView::kAtClientRoot, {},
                                   {"/bin/sh", "-c", check}, std::chrono::seconds(30), &r)
                  .ok());
  EXPECT_TRUE(r.Succeeded()) << check << ": " << r.Describe();
  ASSERT_TRUE(RunInClientNamespace(
                  *volumes, ClientView::kNowhere, {},
                  {"/bin/sh", "-c",
                   std::string("test ! -e ") + kClientRoot + " && test ! -e " + kServerRoot},
                  std::chrono::seconds(30), &r)
                  .ok());
  EXPECT_TRUE(r.Succeeded()) << r.Describe();
  fs::remove(OnVolume("probe"));

  // The map, read from the parent namespace: the export row as configured.
  nlohmann::json doc;
  std::string error;
  ASSERT_TRUE(tools::RunLocalioStatJson(volumes->map_path(), &doc, &error)) << error;
  const nlohmann::json& rows = doc.at("exports");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.at(0).at("server_root").get<std::string>(), kServerRoot);
  EXPECT_EQ(rows.at(0).at("client_root").get<std::string>(), kClientRoot);
}

TEST_F(WithClientRoot, CopiesBypassThroughClientRoot) { ExpectCopiesBypass("", "client-root"); }

TEST_F(WithClientRoot, ClientWithoutTheExportFallsBackToRpc) {
  ExpectCleanFallback(ClientView::kNowhere, "", kClientRoot, "export not visible");
}

TEST_F(WithPathMap, CopiesBypassThroughThePathMap) {
  ExpectCopiesBypass(std::string(kServerRoot) + "=" + kClientRoot, "path-map");
}

TEST_F(WithPathMap, ClientWithoutAPathMapFallsBackToRpc) {
  // Sees the volume at /mnt/data, but the map says /srv/data, which it lacks.
  ExpectCleanFallback(ClientView::kAtClientRoot, "", kServerRoot, "no path map");
}

TEST_F(WithPathMap, ClientWithoutTheExportFallsBackToRpc) {
  ExpectCleanFallback(ClientView::kNowhere, std::string(kServerRoot) + "=" + kClientRoot,
                      kClientRoot, "export not visible, path map");
}

}  // namespace
}  // namespace localio::container
