// SPDX-License-Identifier: LGPL-3.0-or-later
// Every config/ganesha*.conf starts the stock ganesha.nfsd with the LOCALIO
// FSAL and serves what it declares. Host-specific values are substituted
// into a temp copy: export Paths (fresh temp dirs), NFS/MOUNT ports,
// Bind_addr, Plugins_Dir, the NFSv4 recovery dir, what the host needs for
// its Ganesha (harness::HostCoreParams), Map_Path (a fresh dir
// under /dev/shm) and Map_Group (the deployment's group does not exist on a
// test host: the test's own group stands in). Everything else is the
// example's own text, judged by Ganesha's parser. Then every export answers
// nfs-ls over NFSv3 and NFSv4, localio-stat shows exactly the LOCALIO
// exports with their access, squash and client root, and read-only exports
// refuse a write. RUN_SERIAL: the examples register LOCALIO with rpcbind.
#include <grp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <thread>

#include "ganesha_conf.h"
#include "harness/files.h"
#include "harness/free_port.h"
#include "harness/fsal_paths.h"
#include "harness/nfs_url.h"
#include "harness/process.h"
#include "harness/rpc_ping.h"
#include "harness/rpcbind.h"
#include "harness/temp_dir.h"
#include "stat_json.h"

namespace localio::container {
namespace {

namespace fs = std::filesystem;
using harness::ChildProcess;
using harness::CommandResult;
using harness::RunCommand;
using std::chrono::milliseconds;

std::vector<std::string> Examples() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(LOCALIO_CONFIG_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ganesha", 0) == 0 && entry.path().extension() == ".conf") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// How localio-stat names the squash mode an export line sets.
std::string StatSquash(const std::string& conf_value) {
  const std::string v = Lower(conf_value);
  if (v == "no_root_squash" || v == "none" || v == "noidsquash") return "none";
  if (v == "rootsquash" || v == "root") return "root_squash";
  if (v == "all" || v == "allsquash" || v == "all_anonymous") return "all_squash";
  return v;
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

struct Export {
  uint16_t id = 0;
  std::string path, pseudo, client_root, squash;
  bool localio = false, read_only = false;
};

class ConfigExample : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    server_.Terminate(milliseconds(10000));
    if (HasFailure()) {
      std::printf("--- config %s:\n%s--- last lines of the log:\n%s\n", conf_path_.c_str(),
                  rendered_.c_str(), harness::FileTail(tmp_.path() + "/ganesha.log", 40).c_str());
    }
  }

  // Rewrites the example into tmp_/ganesha.conf and fills exports_.
  void Prepare(const std::string& name) {
    std::string text;
    ASSERT_TRUE(harness::ReadFile(std::string(LOCALIO_CONFIG_DIR) + "/" + name, &text)) << name;
    ConfBlock root;
    Status s = ParseGaneshaConf(text, &root);
    ASSERT_TRUE(s.ok()) << name << ": " << s.message;
    ASSERT_FALSE(root.Blocks("EXPORT").empty()) << name << " declares no export";

    ASSERT_TRUE(tmp_.Create("localio-conf-example").ok());
    nfs_port_ = harness::FindFreePort();
    do mnt_port_ = harness::FindFreePort();
    while (mnt_port_ == nfs_port_);
    ASSERT_NE(nfs_port_, 0);
    const std::string plugins = tmp_.path() + "/plugins";
    fs::create_directories(plugins);
    fs::create_directories(tmp_.path() + "/recovery");
    fs::create_symlink(harness::SystemPluginsDir() + "/libfsalvfs.so", plugins + "/libfsalvfs.so");
    fs::create_symlink(harness::LocalioFsalLibrary(), plugins + "/libfsallocalio.so");

    ConfBlock& core = root.Block("NFS_CORE_PARAM");
    core.Set("NFS_Port", std::to_string(nfs_port_));
    core.Set("MNT_Port", std::to_string(mnt_port_));
    core.Set("Bind_addr", "127.0.0.1");
    core.Set("Plugins_Dir", Quoted(plugins));
    for (const char* off : {"Enable_NLM", "Enable_RQUOTA", "Enable_UDP"}) core.Set(off, "false");
    for (const auto& [param, value] : harness::HostCoreParams()) core.Set(param, value);
    ConfBlock& v4 = root.Block("NFSV4");
    v4.Set("RecoveryRoot", Quoted(tmp_.path() + "/recovery"));
    v4.Set("RecoveryDir", "v4recov");
    v4.Set("Graceless", "true");

    if (!root.Blocks("LOCALIO").empty()) {
      ASSERT_TRUE(shm_.Create("localio-conf-example", "/dev/shm").ok());
      map_path_ = shm_.path() + "/map";
      ConfBlock& localio = root.Block("LOCALIO");
      localio.Set("Map_Path", Quoted(map_path_));
      if (!localio.Get("Map_Group").empty()) {
        const group* own = getgrgid(getgid());
        ASSERT_NE(own, nullptr);
        localio.Set("Map_Group", own->gr_name);
      }
    }

    for (ConfBlock* e : root.Blocks("EXPORT")) {
      Export x;
      x.id = static_cast<uint16_t>(std::stoi(e->Get("Export_Id")));
      x.path = tmp_.path() + "/export-" + std::to_string(x.id);
      x.pseudo = e->Get("Pseudo");
      x.read_only = Lower(e->Get("Access_Type")) == "ro";
      x.squash = StatSquash(e->Get("Squash"));
      ASSERT_FALSE(e->Blocks("FSAL").empty()) << "export " << x.id << " has no FSAL block";
      const ConfBlock& fsal = *e->Blocks("FSAL")[0];
      x.localio = Lower(fsal.Get("Name")) == "localio";
      x.client_root = fsal.Get("Client_Root");
      e->Set("Path", Quoted(x.path));
      fs::create_directories(x.path);
      const std::string marker = x.path + "/marker-" + std::to_string(x.id);
      ASSERT_TRUE(harness::WriteFile(marker, "export " + std::to_string(x.id) + "\n")) << marker;
      exports_.push_back(x);
    }
    rendered_ = RenderGaneshaConf(root);
    conf_path_ = tmp_.path() + "/ganesha.conf";
    ASSERT_TRUE(harness::WriteFile(conf_path_, rendered_)) << conf_path_;
  }

  Status Start() {
    if (Status s = harness::EnsureRpcbind(); !s.ok()) return s;
    const std::vector<std::string> argv = {harness::GaneshaBinary(),
                                           "-F",
                                           "-L",
                                           tmp_.path() + "/ganesha.log",
                                           "-f",
                                           conf_path_,
                                           "-p",
                                           tmp_.path() + "/ganesha.pid",
                                           "-N",
                                           "NIV_EVENT"};
    if (Status s = server_.Spawn(argv, tmp_.path() + "/ganesha.stdout"); !s.ok()) return s;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string last = "not probed";
    while (std::chrono::steady_clock::now() < deadline) {
      if (!server_.Running())
        return Status::Error(-ECHILD, "ganesha.nfsd exited (" + server_.exit_description() + ")");
      Status ready =
          harness::RpcNullPing("127.0.0.1", nfs_port_, harness::kNfsProgram, 3, milliseconds(500));
      if (ready.ok())
        ready = harness::RpcNullPing("127.0.0.1", nfs_port_, harness::kNfsProgram, 4,
                                     milliseconds(500));
      std::vector<std::string> served;
      if (ready.ok())
        ready = harness::MountExportList("127.0.0.1", mnt_port_, milliseconds(1000), &served);
      if (ready.ok()) {
        last = "served:";
        for (const std::string& p : served) last += " " + p;
        if (std::all_of(exports_.begin(), exports_.end(), [&](const Export& x) {
              return std::find(served.begin(), served.end(), x.path) != served.end();
            })) {
          return Status::Ok();
        }
      } else {
        last = ready.message;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    return Status::Error(-ETIMEDOUT, "not ready after 30 s, every export served? last: " + last);
  }

  std::string Url(const Export& x, int version, const std::string& file) const {
    return harness::NfsUrl({x.path, x.pseudo, nfs_port_, mnt_port_}, version, file);
  }

  harness::TempDir tmp_, shm_;
  ChildProcess server_;
  uint16_t nfs_port_ = 0, mnt_port_ = 0;
  std::string map_path_, conf_path_, rendered_;
  std::vector<Export> exports_;
};

TEST_P(ConfigExample, ServesEveryExportAndPublishesTheLocalioOnes) {
  ASSERT_TRUE(harness::LocalioFsalBuilt()) << "libfsallocalio.so is not built";
  ASSERT_NO_FATAL_FAILURE(Prepare(GetParam()));
  Status started = Start();
  ASSERT_TRUE(started.ok()) << GetParam() << ": " << started.message;

  for (const Export& x : exports_) {
    for (int version : {3, 4}) {
      SCOPED_TRACE("export " + std::to_string(x.id) + " over NFSv" + std::to_string(version));
      CommandResult ls;
      ASSERT_TRUE(RunCommand({"nfs-ls", Url(x, version, "")}, std::chrono::seconds(30), &ls).ok());
      ASSERT_TRUE(ls.Succeeded()) << ls.Describe();
      EXPECT_NE(ls.out.find("marker-" + std::to_string(x.id)), std::string::npos) << ls.out;
    }
    if (x.read_only) {
      CommandResult cp;
      ASSERT_TRUE(
          RunCommand({"nfs-cp", conf_path_, Url(x, 3, "refused")}, std::chrono::seconds(30), &cp)
              .ok());
      EXPECT_FALSE(cp.Succeeded()) << "a write into read-only export " << x.id << " went through";
      EXPECT_FALSE(fs::exists(x.path + "/refused"));
    }
  }

  const size_t localio_exports = static_cast<size_t>(
      std::count_if(exports_.begin(), exports_.end(), [](const Export& x) { return x.localio; }));
  if (map_path_.empty()) {
    EXPECT_EQ(localio_exports, 0u) << "LOCALIO exports without a LOCALIO block";
    return;
  }
  nlohmann::json doc;
  std::string error;
  ASSERT_TRUE(tools::RunLocalioStatJson(map_path_, &doc, &error)) << error;
  EXPECT_TRUE(doc.at("header").at("alive").get<bool>());
  const nlohmann::json& rows = doc.at("exports");
  EXPECT_EQ(rows.size(), localio_exports) << "the map lists every LOCALIO export, no other";
  for (const Export& x : exports_) {
    SCOPED_TRACE("export " + std::to_string(x.id));
    const nlohmann::json* row = nullptr;
    for (const nlohmann::json& r : rows) {
      if (tools::UintAt(r, "export_id") == x.id) row = &r;
    }
    if (!x.localio) {
      EXPECT_EQ(row, nullptr) << "a plain VFS export is in the map";
      continue;
    }
    ASSERT_NE(row, nullptr) << "no map row";
    EXPECT_EQ(row->at("server_root").get<std::string>(), x.path);
    EXPECT_EQ(row->at("client_root").get<std::string>(),
              x.client_root.empty() ? x.path : x.client_root);
    EXPECT_EQ(row->at("read_only").get<bool>(), x.read_only);
    EXPECT_EQ(row->at("squash").get<std::string>(), x.squash);
  }
}

INSTANTIATE_TEST_SUITE_P(Shipped, ConfigExample, ::testing::ValuesIn(Examples()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param.substr(0, p.param.size() - 5);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ConfigExamples, AreAllFound) {
  const std::vector<std::string> names = Examples();
  for (const char* expected :
       {"ganesha.conf", "ganesha-multi.conf", "ganesha-node.conf", "ganesha-ro-squash.conf",
        "ganesha-sidecar.conf"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

}  // namespace
}  // namespace localio::container
