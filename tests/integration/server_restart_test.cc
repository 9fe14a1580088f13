// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO FSAL across server lifetimes, against the stock ganesha.nfsd:
// a handle that reaches a restarted server without a name is resolved from
// the kernel and published with its path; a stopped server leaves its map
// marked dead and its rpcbind registration removed. Its own server, as the
// tests kill and stop it (and in this order).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "harness/gtest_support.h"
#include "harness/nfs_session.h"
#include "localio/localio_proto.h"
#include "localio/map_reader.h"
#include "localio/wire_handle.h"
#include "server_probe.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;
constexpr uint16_t kLocalio = 1;

class LocalioRestart : public SuiteServerTest<LocalioRestart> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(OneExport(MakeExport(kLocalio))); }
};

TEST_F(LocalioRestart, HandleWithoutANameIsResolvedFromTheKernelAfterRestart) {
  const std::string rel = "kept/open/file.bin";
  const std::string full = server_->ExportDir(kLocalio) + "/" + rel;
  fs::create_directories(fs::path(full).parent_path());
  const std::string content(10000, 'k');
  {
    std::ofstream out(full, std::ios::binary);
    out << content;
    ASSERT_TRUE(out.flush());
  }
  struct stat st;
  ASSERT_EQ(stat(full.c_str(), &st), 0);

  std::unique_ptr<NfsSession> nfs;
  Status m = NfsSession::Mount(server_->Url(kLocalio, 3, ""), &nfs);
  ASSERT_TRUE(m.ok()) << m.message;
  nfsfh* fh = nullptr;
  Status o = nfs->Open(rel, O_RDONLY, &fh);
  ASSERT_TRUE(o.ok()) << o.message;
  char buf[100];
  ASSERT_EQ(nfs_pread(nfs->context(), fh, 0, sizeof buf, buf), static_cast<int>(sizeof buf));
  const std::vector<uint8_t> wire = NfsSession::WireHandle(fh);

  std::unique_ptr<MapReader> before;
  ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &before).ok());
  const std::optional<WireHandle> parsed = ParseWireHandle(wire, before->fh_format());
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->export_id, kLocalio);
  const std::vector<uint8_t> opaque(parsed->opaque.begin(), parsed->opaque.end());

  server_->Kill9();
  Status r = server_->Restart();
  ASSERT_TRUE(r.ok()) << r.message;

  std::unique_ptr<MapReader> after;
  ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &after).ok());
  ASSERT_NE(after->instance_id(), before->instance_id()) << "the map was not re-created";
  ASSERT_TRUE(after->Alive());
  MapEntry entry;
  ASSERT_EQ(after->Lookup(kLocalio, opaque, &entry), -ENOENT)
      << "the new map already holds the file: nothing left to resolve";

  // libnfs (v3) reconnects and sends the old handle: no LOOKUP, no name.
  std::string data;
  Status read = nfs->ReadAll(fh, &data);
  ASSERT_TRUE(read.ok()) << read.message;
  EXPECT_EQ(data, content);
  (void)nfs->Close(fh);

  ASSERT_EQ(after->Lookup(kLocalio, opaque, &entry), 0)
      << "the handle that came without a name was not published";
  EXPECT_EQ(entry.path(), rel);
  EXPECT_EQ(entry.ino, st.st_ino);
  EXPECT_EQ(entry.dev, st.st_dev);
  EXPECT_EQ(entry.type, MapObjectType::kRegular);
}

TEST_F(LocalioRestart, StoppedServerMarksTheMapDeadAndLeavesRpcbind) {
  MapView view;
  Status v = ViewMap(server_->map_path(), kLocalio, &view);
  ASSERT_TRUE(v.ok()) << v.message;
  ASSERT_TRUE(view.alive);
  ASSERT_NE(view.port, 0);
  std::vector<RpcbindMapping> mappings;
  ASSERT_TRUE(RpcinfoMappings(&mappings).ok());
  EXPECT_EQ(RpcbindTcpPorts(mappings, rpc::kLocalioProgram, rpc::kLocalioVersion),
            std::vector<uint16_t>{view.port});

  server_->Stop();
  ASSERT_FALSE(server_->Running());

  Status after = ViewMap(server_->map_path(), kLocalio, &view);
  ASSERT_TRUE(after.ok()) << after.message;
  EXPECT_FALSE(view.alive) << "a stopped server's map still says alive";
  Status s = RpcinfoMappings(&mappings);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_TRUE(RpcbindTcpPorts(mappings, rpc::kLocalioProgram, rpc::kLocalioVersion).empty())
      << "rpcbind still lists program 400122 after the server stopped";
}

}  // namespace
}  // namespace localio::harness
