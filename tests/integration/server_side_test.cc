// SPDX-License-Identifier: LGPL-3.0-or-later
// The LOCALIO FSAL's server side against the stock ganesha.nfsd, seen from
// outside: rpcbind registration, the map's entries versus the files they
// name (via localio-stat --json and MapReader), the hello-area handshake over
// the real listener, rename/unlink keeping the map true, malformed LOCALIO
// records, and close-to-open coherence after a direct (bypassing) change
// that the server is told of (LOCALIO WROTE).
// One server for the whole program: export 1 is LOCALIO over VFS, export 2
// plain VFS (default attribute caching), both read-write.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness/libnfs_limits.h"
#include "harness/files.h"
#include "harness/fsal_paths.h"
#include "harness/gtest_support.h"
#include "harness/hostile_peer.h"
#include "harness/malformed_rpc.h"
#include "harness/nfs_session.h"
#include "harness/process.h"
#include "harness/rpcbind.h"
#include "localio/hello_area.h"
#include "localio/localio_caller.h"
#include "localio/map_file.h"
#include "localio/map_reader.h"
#include "localio/rpcbind_client.h"
#include "localio/wire_handle.h"
#include "server_probe.h"

namespace localio::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr uint16_t kLocalio = 1, kVfs = 2;
constexpr char kHost[] = "127.0.0.1";

CommandResult Exec(const std::vector<std::string>& argv) {
  CommandResult r;
  Status s = RunCommand(argv, seconds(60), &r);
  if (!s.ok()) ADD_FAILURE() << s.message;
  return r;
}

// Overwrites `path` from offset 0 without truncating, as a client that
// bypasses NFS would (the file keeps its inode).
void OverwriteInPlace(const std::string& path, const std::string& text) {
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  ASSERT_TRUE(out.is_open()) << path;
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  ASSERT_TRUE(out.flush()) << "cannot write " << path;
}

std::string Pattern(char base, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(base + i % 23);
  return s;
}

class LocalioServer : public SuiteServerTest<LocalioServer> {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.exports = {MakeExport(kLocalio, Fsal::kLocalio), MakeExport(kVfs, Fsal::kVfs)};
    StartSuiteServer(options, "localio-server-test");
  }

  static std::string InExport(uint16_t id, const std::string& rel) {
    return rel.empty() ? server_->ExportDir(id) : server_->ExportDir(id) + "/" + rel;
  }
  static MapView View() {
    MapView v;
    Status s = ViewMap(server_->map_path(), kLocalio, &v);
    EXPECT_TRUE(s.ok()) << s.message;
    return v;
  }
  static std::unique_ptr<MapReader> Reader() {
    std::unique_ptr<MapReader> r;
    Status st = MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &r);
    EXPECT_TRUE(st.ok()) << st.message;
    return r;
  }
  static std::unique_ptr<NfsSession> Mount(uint16_t id, int version) {
    std::unique_ptr<NfsSession> s;
    Status st = NfsSession::Mount(server_->Url(id, version, ""), &s);
    EXPECT_TRUE(st.ok()) << st.message;
    return s;
  }
  // localio-nfs-client on export 1.
  static CommandResult Client(int version, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {LOCALIO_NFS_CLIENT, server_->Url(kLocalio, version, "")};
    argv.insert(argv.end(), args.begin(), args.end());
    return Exec(argv);
  }
  static std::string Local(const std::string& name) { return scratch_->path() + "/" + name; }
  static bool LogHas(const std::string& text) {
    return ReadFile(server_->log_path()).find(text) != std::string::npos;
  }
};

class LocalioServerByVersion : public LocalioServer,
                               public ::testing::WithParamInterface<int> {
 protected:
  int Version() const { return GetParam(); }
  std::string V() const { return "v" + std::to_string(GetParam()); }
};

// The server says in its log that it loaded LOCALIO, built for its own
// Ganesha, and stacked export 1 over VFS.
TEST_F(LocalioServer, TheLogShowsTheFsalLoadedAndTheExportStacked) {
  const std::string log = ReadFile(server_->log_path());
  EXPECT_NE(log.find("LOCALIO: FSAL loaded and initialised"), std::string::npos) << log;
  EXPECT_NE(log.find("LOCALIO: export 1 (" + server_->ExportDir(kLocalio) + ") stacked over VFS"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("Ganesha Version " + std::to_string(GaneshaMajorVersion()) + "."),
            std::string::npos)
      << "the server is not the Ganesha this build is for";
  EXPECT_EQ(log.find("was built for nfs-ganesha"), std::string::npos) << log;
}

// rpcbind's registration of LOCALIO on tcp ("" owner and port 0 when none).
struct Registration {
  uint16_t port = 0;
  std::string owner;
};
Registration LocalioRegistration() {
  std::vector<rpc::RpcbMapping> all;
  localio::Status s = rpc::RpcbindClient().Dump(&all);
  EXPECT_TRUE(s.ok()) << s.message;
  Registration r;
  for (const rpc::RpcbMapping& m : all)
    if (m.prog == rpc::kLocalioProgram && m.vers == rpc::kLocalioVersion && m.netid == "tcp" &&
        rpc::PortOfUniversalAddress(m.addr, &r.port))
      r.owner = m.owner;
  return r;
}
uint16_t LocalioPortInRpcbind() { return LocalioRegistration().port; }
// rpcbind's mappings of LOCALIO on every netid.
size_t LocalioMappingCount() {
  std::vector<rpc::RpcbMapping> all;
  EXPECT_TRUE(rpc::RpcbindClient().Dump(&all).ok());
  return static_cast<size_t>(std::count_if(all.begin(), all.end(), [](const rpc::RpcbMapping& m) {
    return m.prog == rpc::kLocalioProgram && m.vers == rpc::kLocalioVersion;
  }));
}

TEST_F(LocalioServer, RpcbindListsTheLocalioPortTheMapShowsAsRegisteredByRoot) {
  const MapView view = View();
  EXPECT_TRUE(view.alive);
  ASSERT_NE(view.port, 0) << "map header has no LOCALIO port";
  EXPECT_EQ(view.nfs_port, server_->nfs_port()) << "the map names its server's NFS port";
  std::vector<RpcbindMapping> mappings;
  Status s = RpcinfoMappings(&mappings);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(RpcbindTcpPorts(mappings, rpc::kLocalioProgram, rpc::kLocalioVersion),
            std::vector<uint16_t>{view.port});
  // Set over rpcbind's local socket: rpcbind knows the server's uid.
  const Registration r = LocalioRegistration();
  EXPECT_EQ(r.port, view.port);
  EXPECT_EQ(r.owner, harness::RpcbindRecordedOwner());
  EXPECT_NE(r.owner, "");
  localio::Status null = rpc::LocalioCaller().Null(kHost, view.port, seconds(2));
  EXPECT_TRUE(null.ok()) << null.message;
}

// Polls until `seen()` holds, for longer than the FSAL's rpcbind check
// period (5 heartbeats).
template <typename Pred>
bool WithinRpcbindCheck(Pred seen) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(12);
  do {
    if (seen()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

// The FSAL keeps its mapping: rpcbind that lost it (restarted without its
// state, or a SET at start that came before rpcbind listened) gets it again
// from the heartbeat thread; a mapping another server of its uid made since
// is left to that server until it goes.
TEST_F(LocalioServer, RpcbindGetsTheProgramBackAfterLosingItAndAnotherServersIsLeftAlone) {
  const uint16_t ours = View().port;
  ASSERT_NE(ours, 0);
  const rpc::RpcbindClient rpcbind;  // as root over the local socket, as a server of this uid
  bool done = false;
  ASSERT_TRUE(rpcbind.Unset(rpc::kLocalioProgram, rpc::kLocalioVersion, "", &done).ok());
  ASSERT_TRUE(done) << "rpcbind had no LOCALIO mapping to remove";
  EXPECT_TRUE(WithinRpcbindCheck([&] { return LocalioPortInRpcbind() == ours; }))
      << "the FSAL did not register again" << server_->LogTail();
  EXPECT_TRUE(LogHas("LOCALIO: rpcbind lost program 400122 v1; registering it again"))
      << server_->LogTail();
  // Logged just after the SET that the poll above may have seen first.
  EXPECT_TRUE(WithinRpcbindCheck([&] {
    return LogHas("LOCALIO: registered program 400122 v1 tcp port " + std::to_string(ours) +
                  " with rpcbind at " LOCALIO_RPCBIND_SOCKET " as owner \"" +
                  harness::RpcbindRecordedOwner() + "\"");
  })) << server_->LogTail();

  // Another server's mapping (a port no one listens on) stays.
  const uint16_t other = ours == 1 ? 2 : 1;
  ASSERT_TRUE(rpcbind.Unset(rpc::kLocalioProgram, rpc::kLocalioVersion, "", &done).ok());
  ASSERT_TRUE(rpcbind.Set(rpc::kLocalioProgram, rpc::kLocalioVersion, "tcp",
                          rpc::UniversalAddress("0.0.0.0", other), &done).ok());
  ASSERT_TRUE(done);
  EXPECT_TRUE(WithinRpcbindCheck([&] {
    return LogHas("LOCALIO: rpcbind maps program 400122 v1 to tcp port " + std::to_string(other) +
                  ", another server's of this uid");
  })) << server_->LogTail();
  EXPECT_EQ(LocalioPortInRpcbind(), other) << "the FSAL took another server's mapping";

  // Once that one is gone, the FSAL registers again.
  ASSERT_TRUE(rpcbind.Unset(rpc::kLocalioProgram, rpc::kLocalioVersion, "", &done).ok());
  EXPECT_TRUE(WithinRpcbindCheck([&] { return LocalioPortInRpcbind() == ours; }))
      << server_->LogTail();
}

// A process of uid 1001 registers program 400122 (over rpcbind's local
// socket, on tcp6: the server holds tcp) for a listener of its own: the
// FSAL removes it at its next check, keeps its own, and names the squatter
// in its log; a client of the server never sends it a nonce. Where rpcbind
// records no owners (harness::RpcbindRecordsOwners) the squatter cannot be
// told from another server of this uid and stays; the client still goes to
// the port in the map only.
TEST_F(LocalioServer, ASquatterOfAnotherUidInRpcbindIsRemovedAndNeverCalled) {
  const uint16_t ours = View().port;
  ASSERT_NE(ours, 0);
  HostilePeer squatter;
  localio::Status s = squatter.Listen({"--register", "local", "--netid", "tcp6"});
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_TRUE(squatter.registered());
  if (harness::RpcbindRecordsOwners()) {
    EXPECT_TRUE(WithinRpcbindCheck([&] {
      return LogHas("(tcp6 port " + std::to_string(squatter.port()) + ") for owner \"1001\"") &&
             LogHas("removed it");
    })) << server_->LogTail();
    EXPECT_TRUE(WithinRpcbindCheck([&] {
      const Registration r = LocalioRegistration();
      return r.port == ours && r.owner == "superuser";
    })) << server_->LogTail();
    EXPECT_EQ(LocalioMappingCount(), 1u) << "the squatter's mapping is still there";
  } else {
    EXPECT_TRUE(LogHas("records the owner of program 400122 v1 as \"unknown\""))
        << server_->LogTail();
  }

  const CommandResult probe =
      Exec({LOCALIO_HANDSHAKE_PROBE, server_->map_path(), kHost, std::to_string(geteuid())});
  EXPECT_EQ(probe.out, "local port=" + std::to_string(ours) + "\n") << probe.Describe();
  EXPECT_EQ(HostilePeer::Field(squatter.Stop(), "uuid_is_local"), 0);
}

// Every entry names, under the export dir, the object with the entry's
// inode and device; the files a client read are there with their paths; and
// the handle a libnfs client holds parses (with the map's fh format) to this
// export and an opaque the map holds under the file's path.
TEST_P(LocalioServerByVersion, EntriesNameTheFilesClientsSee) {
  const std::string top = "tree-" + V();
  const std::vector<std::string> files = {top + "/top.txt", top + "/a/mid.txt",
                                          top + "/a/b/deep.txt"};
  fs::create_directories(InExport(kLocalio, top + "/a/b"));
  for (const std::string& f : files)
    ASSERT_TRUE(WriteFile(InExport(kLocalio, f), "content of " + f + "\n")) << f;

  // The new directory itself, not the export root: Ganesha keeps a listed
  // directory's entries for its attribute expiry, and the root was listed
  // before the files were made behind the server's back.
  CommandResult ls = Exec({LOCALIO_NFS_LS, server_->Url(kLocalio, Version(), top)});
  ASSERT_TRUE(ls.Succeeded()) << ls.Describe();
  EXPECT_NE(ls.out.find("top.txt"), std::string::npos) << ls.out;
  for (const std::string& f : files) {
    CommandResult cat = Exec({LOCALIO_NFS_CAT, server_->Url(kLocalio, Version(), f)});
    ASSERT_TRUE(cat.Succeeded()) << f << ": " << cat.Describe();
    EXPECT_EQ(cat.out, "content of " + f + "\n");
  }

  const MapView view = View();
  const tools::StatEntry* root = EntryAt(view, "");
  ASSERT_NE(root, nullptr) << "no entry for the export root";
  EXPECT_EQ(root->type, "directory");
  for (const std::string& path : {top, top + "/a", top + "/a/b"}) {
    const tools::StatEntry* e = EntryAt(view, path);
    ASSERT_NE(e, nullptr) << "no entry for directory " << path;
    EXPECT_EQ(e->type, "directory") << path;
  }
  for (const std::string& f : files) {
    const tools::StatEntry* e = EntryAt(view, f);
    ASSERT_NE(e, nullptr) << "no entry for " << f;
    EXPECT_EQ(e->type, "regular") << f;
  }
  for (const tools::StatEntry& e : view.entries) {
    struct stat st;
    const std::string full = InExport(kLocalio, e.path);
    ASSERT_EQ(lstat(full.c_str(), &st), 0) << "entry '" << e.path << "' names nothing: " << full;
    EXPECT_EQ(e.ino, st.st_ino) << "inode of '" << e.path << "'";
    EXPECT_EQ(e.dev, st.st_dev) << "device of '" << e.path << "'";
  }

  std::unique_ptr<MapReader> reader = Reader();
  ASSERT_NE(reader, nullptr);
  std::unique_ptr<NfsSession> nfs = Mount(kLocalio, Version());
  ASSERT_NE(nfs, nullptr);
  for (const std::string& f : files) {
    nfsfh* fh = nullptr;
    Status o = nfs->Open(f, O_RDONLY, &fh);
    ASSERT_TRUE(o.ok()) << o.message;
    const std::vector<uint8_t> wire = NfsSession::WireHandle(fh);
    ASSERT_TRUE(nfs->Close(fh).ok());
    ASSERT_FALSE(wire.empty()) << f;
    const std::optional<WireHandle> parsed = ParseWireHandle(wire, reader->fh_format());
    ASSERT_TRUE(parsed.has_value()) << f << ": handle " << tools::HexBytes(wire.data(), wire.size())
                                    << " does not follow the map's fh format";
    EXPECT_EQ(parsed->export_id, kLocalio) << f;
    MapEntry entry;
    ASSERT_EQ(reader->Lookup(kLocalio, parsed->opaque, &entry), 0)
        << "map lacks the handle the client holds for " << f;
    EXPECT_EQ(entry.path(), f);
    const tools::StatEntry* shown = EntryAt(view, f);
    ASSERT_NE(shown, nullptr);
    EXPECT_EQ(shown->handle_hex, tools::HexBytes(parsed->opaque.data(), parsed->opaque.size()));
  }
}

TEST_F(LocalioServer, HandshakeThroughTheHelloAreaConfirmsOnlyAFreshNonce) {
  std::unique_ptr<MapReader> reader = Reader();
  ASSERT_NE(reader, nullptr);
  MapHeaderSnapshot header;
  ASSERT_TRUE(reader->ReadHeader(&header));
  const uint16_t rpcbind_port = LocalioPortInRpcbind();
  ASSERT_NE(header.port, 0);
  EXPECT_EQ(rpcbind_port, header.port) << "rpcbind and the map disagree on the LOCALIO port";

  const std::string hello_path = server_->map_path() + ".hello";
  std::unique_ptr<HelloClient> client, other;
  ASSERT_TRUE(HelloClient::Open(hello_path, LOCALIO_DEFAULT_SERVER_UID, &client).ok());
  ASSERT_TRUE(HelloClient::Open(hello_path, LOCALIO_DEFAULT_SERVER_UID, &other).ok());
  ASSERT_EQ(client->Claim(), 0);
  ASSERT_EQ(other->Claim(), 0);
  Nonce nonce, unknown, other_nonce, rearmed;
  for (Nonce* n : {&nonce, &unknown, &other_nonce, &rearmed})
    ASSERT_TRUE(FillRandom(n->data(), n->size()));
  ASSERT_EQ(client->SetNonce(&nonce), 0);
  ASSERT_EQ(other->SetNonce(&other_nonce), 0);

  const rpc::LocalioCaller caller(rpc::ProcessAuthSys());
  // An unknown nonce is received but confirms nothing.
  localio::Status st = caller.UuidIsLocal(kHost, rpcbind_port, unknown, seconds(2));
  ASSERT_TRUE(st.ok()) << st.message;
  InstanceId got{};
  EXPECT_EQ(client->ReadConfirmation(&got), 0) << "an unknown nonce confirmed a slot";
  EXPECT_EQ(other->ReadConfirmation(&got), 0) << "an unknown nonce confirmed a slot";

  // The client's nonce, sent to the port the map names, is confirmed with
  // the map's instance id, in that client's slot only.
  st = caller.UuidIsLocal(kHost, header.port, nonce, seconds(2));
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_EQ(client->ReadConfirmation(&got), 1);
  EXPECT_EQ(got, reader->instance_id());
  EXPECT_EQ(got, header.instance_id);
  EXPECT_EQ(other->ReadConfirmation(&got), 0) << "another slot was confirmed too";

  // Replaying the consumed nonce confirms nothing: the slot, re-armed with
  // a fresh nonce, stays unconfirmed until that one is sent.
  ASSERT_EQ(client->SetNonce(&rearmed), 0);
  st = caller.UuidIsLocal(kHost, header.port, nonce, seconds(2));
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(client->ReadConfirmation(&got), 0) << "a consumed nonce was accepted again";
  st = caller.UuidIsLocal(kHost, header.port, rearmed, seconds(2));
  ASSERT_TRUE(st.ok()) << st.message;
  EXPECT_EQ(client->ReadConfirmation(&got), 1) << "the re-armed slot was not confirmed";

  // localio-stat shows the slot confirmed with the server's instance.
  const MapView view = View();
  EXPECT_EQ(view.instance_id, tools::HexBytes(got.data(), got.size()));
  bool shown = false;
  for (const nlohmann::json& s : view.doc.at("hello").at("slots")) {
    if (tools::UintAt(s, "slot") == static_cast<uint64_t>(client->slot()) &&
        s.at("state").get<std::string>() == "confirmed" &&
        s.at("confirmed_instance").get<std::string>() == view.instance_id)
      shown = true;
  }
  EXPECT_TRUE(shown) << "localio-stat does not show slot " << client->slot() << " confirmed";
}

// Rename and unlink through NFS keep the map's paths true.
TEST_P(LocalioServerByVersion, RenameAndUnlinkShowUpInTheMap) {
  const std::string top = "ren-" + V();
  const std::string payload = Local("payload-" + V());
  ASSERT_TRUE(WriteFile(payload, "renamed file payload\n")) << payload;
  const std::string kChunk = std::to_string(harness::kMaxV4RpcWrite);
  const std::vector<std::vector<std::string>> steps = {
      {"mkdir", top}, {"mkdir", top + "/dir"}, {"mkdir", top + "/dir/sub"},
      {"put", payload, top + "/dir/f1", kChunk}, {"put", payload, top + "/dir/sub/f2", kChunk},
      {"put", payload, top + "/x", kChunk}};
  for (const auto& step : steps) {
    CommandResult r = Client(Version(), step);
    ASSERT_TRUE(r.Succeeded()) << step[0] << " " << step.back() << ": " << r.Describe();
  }
  for (const char* rel : {"/dir", "/dir/sub", "/dir/f1", "/dir/sub/f2", "/x"}) {
    CommandResult r = Client(Version(), {"stat", top + rel});  // lookups
    ASSERT_TRUE(r.Succeeded()) << r.Describe();
  }
  auto ino_of = [&](const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(lstat(InExport(kLocalio, rel).c_str(), &st), 0) << rel;
    return static_cast<uint64_t>(st.st_ino);
  };
  const uint64_t dir_ino = ino_of(top + "/dir"), sub_ino = ino_of(top + "/dir/sub"),
                 f1_ino = ino_of(top + "/dir/f1"), f2_ino = ino_of(top + "/dir/sub/f2"),
                 x_ino = ino_of(top + "/x");
  {
    const MapView view = View();
    for (const char* rel : {"/dir", "/dir/sub", "/dir/f1", "/dir/sub/f2", "/x"})
      ASSERT_NE(EntryAt(view, top + rel), nullptr) << "not published: " << top + rel;
  }

  ASSERT_TRUE(Client(Version(), {"rename", top + "/x", top + "/y"}).Succeeded());
  {
    const MapView view = View();
    EXPECT_EQ(EntryAt(view, top + "/x"), nullptr) << "old name still in the map";
    const tools::StatEntry* y = EntryAt(view, top + "/y");
    ASSERT_NE(y, nullptr) << "renamed file not in the map under its new name";
    EXPECT_EQ(y->ino, x_ino);
  }

  ASSERT_TRUE(Client(Version(), {"rename", top + "/dir", top + "/moved"}).Succeeded());
  {
    const MapView view = View();
    for (const tools::StatEntry& e : view.entries)
      EXPECT_NE(e.path.rfind(top + "/dir", 0), 0u) << "entry left under the old dir: " << e.path;
    const std::vector<std::pair<std::string, uint64_t>> moved = {
        {"/moved", dir_ino}, {"/moved/sub", sub_ino}, {"/moved/f1", f1_ino},
        {"/moved/sub/f2", f2_ino}};
    for (const auto& [rel, ino] : moved) {
      const tools::StatEntry* e = EntryAt(view, top + rel);
      ASSERT_NE(e, nullptr) << "entry did not follow the directory rename: " << top + rel;
      EXPECT_EQ(e->ino, ino) << rel;
    }
  }

  ASSERT_TRUE(Client(Version(), {"unlink", top + "/moved/f1"}).Succeeded());
  {
    const MapView view = View();
    EXPECT_EQ(EntryAt(view, top + "/moved/f1"), nullptr) << "unlinked file still in the map";
    for (const tools::StatEntry& e : view.entries)
      EXPECT_NE(e.ino, f1_ino) << "unlinked file's inode still in the map at " << e.path;
    EXPECT_NE(EntryAt(view, top + "/moved/sub/f2"), nullptr);
  }
}

// --- Malformed LOCALIO records ---

// Reads one reply record (a single fragment) and decodes its accept status;
// nothing when the server closed or sent something else.
std::optional<rpc::AcceptStat> ReadAcceptStat(int fd) {
  auto read_exactly = [fd](uint8_t* p, size_t n) {
    for (size_t done = 0; done < n;) {
      const ssize_t got = recv(fd, p + done, n - done, 0);
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  };
  uint8_t mark[4];
  if (!read_exactly(mark, 4)) return std::nullopt;
  const uint32_t word = uint32_t{mark[0]} << 24 | uint32_t{mark[1]} << 16 |
                        uint32_t{mark[2]} << 8 | mark[3];
  const uint32_t len = word & ~rpc::kLastFragment;
  if ((word & rpc::kLastFragment) == 0 || len > 4096) return std::nullopt;
  std::vector<uint8_t> record(len);
  if (!read_exactly(record.data(), len)) return std::nullopt;
  const std::optional<rpc::DecodedReply> reply = rpc::DecodeReply(record);
  if (!reply || reply->reply_stat != rpc::ReplyStat::kAccepted) return std::nullopt;
  return reply->accept_stat;
}

TEST_F(LocalioServer, MalformedRecordsLeaveTheListenerAndNfsServing) {
  std::unique_ptr<MapReader> reader = Reader();
  ASSERT_NE(reader, nullptr);
  MapHeaderSnapshot header;
  ASSERT_TRUE(reader->ReadHeader(&header));
  ASSERT_NE(header.port, 0);
  const rpc::LocalioCaller caller;
  std::mt19937 rng(20240611);
  constexpr int kRecords = 2000;
  // The first seven kinds; the integration suite has always sent these.
  constexpr int kKinds = 7;
  int connected = 0;
  for (int i = 0; i < kRecords; ++i) {
    const int fd = ConnectLoopback(header.port, seconds(2), false);
    if (fd < 0) {
      ADD_FAILURE() << "listener refused connection " << i << ": " << std::strerror(errno);
      break;
    }
    ++connected;
    const auto kind = static_cast<MalformedKind>(i % kKinds);
    const std::vector<uint8_t> bytes = MalformedMessage(kind, rng);
    (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    // The well-framed calls get their error replies: proof that the
    // records reach the listener's decoder.
    if (kind == MalformedKind::kOtherProgram) {
      EXPECT_EQ(ReadAcceptStat(fd), rpc::AcceptStat::kProgUnavail) << "record " << i;
    } else if (kind == MalformedKind::kWrongSizeNonce) {
      EXPECT_EQ(ReadAcceptStat(fd), rpc::AcceptStat::kGarbageArgs) << "record " << i;
    }
    close(fd);
    if (i % 250 == 249) {
      localio::Status s = caller.Null(kHost, header.port, seconds(5));
      ASSERT_TRUE(s.ok()) << "after " << i + 1 << " malformed records: " << s.message;
    }
  }
  EXPECT_EQ(connected, kRecords);
  ASSERT_TRUE(server_->Running()) << "ganesha.nfsd died";
  localio::Status s = caller.Null(kHost, header.port, seconds(5));
  EXPECT_TRUE(s.ok()) << s.message;

  // A handshake still works, and NFS still serves files.
  std::unique_ptr<HelloClient> client;
  ASSERT_TRUE(HelloClient::Open(server_->map_path() + ".hello", LOCALIO_DEFAULT_SERVER_UID, &client).ok());
  ASSERT_EQ(client->Claim(), 0);
  Nonce nonce;
  ASSERT_TRUE(FillRandom(nonce.data(), nonce.size()));
  ASSERT_EQ(client->SetNonce(&nonce), 0);
  s = rpc::LocalioCaller().UuidIsLocal(kHost, header.port, nonce, seconds(5));
  ASSERT_TRUE(s.ok()) << s.message;
  InstanceId got{};
  EXPECT_EQ(client->ReadConfirmation(&got), 1);

  ASSERT_TRUE(WriteFile(InExport(kLocalio, "after-malformed.txt"), "still serving\n"));
  for (int version : {3, 4}) {
    CommandResult cat = Exec({LOCALIO_NFS_CAT, server_->Url(kLocalio, version, "after-malformed.txt")});
    ASSERT_TRUE(cat.Succeeded()) << "NFSv" << version << ": " << cat.Describe();
    EXPECT_EQ(cat.out, "still serving\n");
  }
}

// --- Coherence (docs/DESIGN.md "Coherence") ---

struct CoherenceResult {
  uint64_t size_seen = 0;
  std::string data_seen;
};

// How the change reaches the server: not at all, or as a bypassing client
// says it at close (LOCALIO WROTE with the file's opaque handle).
enum class Tell { kNothing, kWrote };

// Reads the file over NFS (so the server caches its attributes), changes and
// grows it directly in the export dir, tells the server (or not), then opens
// it again over NFS.
void ChangeBehindTheServer(uint16_t id, const std::string& rel, const std::string& before,
                           const std::string& after, const std::string& url,
                           const std::string& full, Tell tell, const std::string& map_path,
                           CoherenceResult* out) {
  ASSERT_TRUE(WriteFile(full, before)) << full;
  std::unique_ptr<NfsSession> nfs;
  Status m = NfsSession::Mount(url, &nfs);
  ASSERT_TRUE(m.ok()) << m.message;
  nfsfh* fh = nullptr;
  ASSERT_TRUE(nfs->Open(rel, O_RDONLY, &fh).ok());
  uint64_t size = 0;
  ASSERT_TRUE(nfs->Size(fh, &size).ok());
  ASSERT_EQ(size, before.size()) << "export " << id;
  std::string data;
  ASSERT_TRUE(nfs->ReadAll(fh, &data).ok());
  ASSERT_EQ(data, before);
  const std::vector<uint8_t> wire = NfsSession::WireHandle(fh);
  ASSERT_TRUE(nfs->Close(fh).ok());

  OverwriteInPlace(full, after);
  if (tell == Tell::kWrote) {
    std::unique_ptr<MapReader> reader;
    const Status r = MapReader::Open(map_path, LOCALIO_DEFAULT_SERVER_UID, &reader);
    ASSERT_TRUE(r.ok()) << r.message;
    MapHeaderSnapshot header;
    ASSERT_TRUE(reader->ReadHeader(&header));
    const std::optional<WireHandle> parsed = ParseWireHandle(wire, reader->fh_format());
    ASSERT_TRUE(parsed.has_value());
    const std::span<const uint8_t> handles[] = {parsed->opaque};
    uint32_t result = 1;
    rpc::RpcConnection connection(kHost, header.port);
    const Status w = rpc::LocalioCaller().Wrote(&connection, id, handles, &result);
    ASSERT_TRUE(w.ok()) << w.message;
    ASSERT_EQ(result, rpc::kWroteOk) << std::strerror(static_cast<int>(result));
  }

  Status o = nfs->Open(rel, O_RDONLY, &fh);
  ASSERT_TRUE(o.ok()) << o.message;
  ASSERT_TRUE(nfs->Size(fh, &out->size_seen).ok());
  Status rd = nfs->ReadAll(fh, &out->data_seen);
  ASSERT_TRUE(rd.ok()) << rd.message;
  ASSERT_TRUE(nfs->Close(fh).ok());
}

// What a bypassing client says at close is what makes the next open of any
// client see the new size: the server drops just that object's cached
// attributes.
TEST_P(LocalioServerByVersion, NewOpenSeesAFileTheServerWasToldWasWritten) {
  const std::string rel = "coherence-told-" + V() + ".bin";
  const std::string before = Pattern('a', 1000);
  const std::string after = Pattern('A', 5000);
  CoherenceResult seen;
  ChangeBehindTheServer(kLocalio, rel, before, after, server_->Url(kLocalio, Version(), ""),
                        InExport(kLocalio, rel), Tell::kWrote, server_->map_path(), &seen);
  if (HasFatalFailure()) return;
  EXPECT_EQ(seen.size_seen, after.size()) << "LOCALIO export served a stale size after WROTE";
  EXPECT_TRUE(seen.data_seen == after)
      << "LOCALIO export served stale data (" << seen.data_seen.size() << " bytes)";
}

// The LOCALIO export keeps Ganesha's attribute cache (no blanket
// Attr_Expiration_Time = 0, which cost every stat): a change nobody told the
// server of stays unseen for a while, exactly as on the plain VFS export.
TEST_P(LocalioServerByVersion, AnUntoldChangeIsCachedAsOnAPlainVfsExport) {
  const std::string rel = "coherence-untold-" + V() + ".bin";
  const std::string before = Pattern('b', 1000);
  const std::string after = Pattern('B', 5000);
  for (const uint16_t id : {kLocalio, kVfs}) {
    CoherenceResult seen;
    ChangeBehindTheServer(id, rel, before, after, server_->Url(id, Version(), ""),
                          InExport(id, rel), Tell::kNothing, server_->map_path(), &seen);
    if (HasFatalFailure()) return;
    EXPECT_EQ(seen.size_seen, before.size())
        << "export " << id << " did not serve the size from its attribute cache";
  }
}

// WROTE for an export that is not served through LOCALIO is refused by name.
TEST_F(LocalioServer, WroteForAPlainVfsExportIsNoSuchExport) {
  std::unique_ptr<MapReader> reader = Reader();
  ASSERT_NE(reader, nullptr);
  MapHeaderSnapshot header;
  ASSERT_TRUE(reader->ReadHeader(&header));
  const std::vector<uint8_t> opaque(20, 0x5a);
  const std::span<const uint8_t> handles[] = {opaque};
  uint32_t result = 0;
  rpc::RpcConnection connection(kHost, header.port);
  const Status w = rpc::LocalioCaller().Wrote(&connection, kVfs, handles, &result);
  ASSERT_TRUE(w.ok()) << w.message;
  EXPECT_EQ(result, uint32_t{ENOENT});
}

INSTANTIATE_TEST_SUITE_P(Nfs, LocalioServerByVersion, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return "v" + std::to_string(param.param);
                         });

}  // namespace
}  // namespace localio::harness
