// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-stat against maps built with MapWriter: the JSON fields match what
// the writer put there, the table names it too, and unusable maps give exit
// status 1 with "localio-stat: MAP: <reason>". Runs the tool in-process
// (RunLocalioStat) and, for the error cases, the built binary as well.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "harness/files.h"
#include "harness/process.h"
#include "localio/hello_area.h"
#include "localio/map_writer.h"
#include "map_test_util.h"
#include "stat_cli.h"
#include "stat_json.h"

namespace localio::tools {
namespace {

using harness::TempDir;
using test::ConfigIn;
using test::HandleFor;
using test::MapTempDir;

struct StatRun {
  int status = -1;
  std::string out;
  std::string err;
};

StatRun Stat(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  StatRun r;
  r.status = RunLocalioStat(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

using nlohmann::json;

// The document; a field that is missing or of another type throws, which
// fails the test with nlohmann-json's message naming it.
json StatJson(const std::string& map) {
  StatRun r = Stat({"--json", map});
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out);
}

std::string StringAt(const json& v, const char* key) { return v.at(key).get<std::string>(); }
bool BoolAt(const json& v, const char* key) { return v.at(key).get<bool>(); }

class LocalioStat : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = MapWriter::Create(ConfigIn(dir_, 64), &writer_);
    ASSERT_TRUE(st.ok()) << st.message;
    writer_->SetPort(40123, 2049);
    writer_->Heartbeat();
  }
  std::string MapPath() const { return writer_->path(); }

  TempDir dir_ = MapTempDir();
  std::unique_ptr<MapWriter> writer_;
};

TEST_F(LocalioStat, JsonHeaderMatchesTheWriter) {
  const json doc = StatJson(MapPath());
  EXPECT_EQ(StringAt(doc, "map"), MapPath());
  const json& h = doc.at("header");
  EXPECT_EQ(StringAt(h, "instance_id"),
            HexBytes(writer_->instance_id().data(), writer_->instance_id().size()));
  EXPECT_EQ(UintAt(h, "server_pid"), static_cast<uint64_t>(getpid()));
  EXPECT_TRUE(BoolAt(h, "alive"));
  EXPECT_EQ(UintAt(h, "port"), 40123u);
  EXPECT_EQ(UintAt(h, "nfs_port"), 2049u);
  EXPECT_LT(UintAt(h, "heartbeat_age_ms"), 60000u);
  const json& f = h.at("fh_format");
  EXPECT_EQ(UintAt(f, "version_byte"), 0x43u);
  EXPECT_EQ(UintAt(f, "header_len"), 5u);
  EXPECT_EQ(UintAt(f, "export_id_offset"), 2u);
  EXPECT_TRUE(BoolAt(f, "export_id_big_endian"));
  EXPECT_EQ(UintAt(doc, "capacity"), writer_->Stats().capacity);
  EXPECT_EQ(UintAt(doc, "entry_count"), 0u);
}

TEST_F(LocalioStat, JsonListsExportsWithTheirPolicy) {
  const uint64_t epoch_before = UintAt(StatJson(MapPath()).at("header"), "epoch");
  MapExport a;
  a.export_id = 7;
  a.server_root = "/srv/data";
  a.client_root = "/mnt/data";
  a.read_only = true;
  a.squash = MapSquash::kAllSquash;
  a.anon_uid = 1234;
  a.anon_gid = 5678;
  ASSERT_TRUE(writer_->SetExport(a).ok());
  MapExport b;
  b.export_id = 0;
  b.server_root = "/export/\"odd\" name";
  ASSERT_TRUE(writer_->SetExport(b).ok());

  const json doc = StatJson(MapPath());
  EXPECT_GT(UintAt(doc.at("header"), "epoch"), epoch_before);
  const json& exports = doc.at("exports");
  ASSERT_EQ(exports.size(), 2u);
  const json& e0 = exports.at(0);
  EXPECT_EQ(UintAt(e0, "export_id"), 0u);
  EXPECT_EQ(StringAt(e0, "server_root"), b.server_root);
  EXPECT_EQ(StringAt(e0, "client_root"), b.server_root) << "no client root = same as server";
  EXPECT_FALSE(BoolAt(e0, "read_only"));
  EXPECT_EQ(StringAt(e0, "squash"), "none");
  const json& e7 = exports.at(1);
  EXPECT_EQ(UintAt(e7, "export_id"), 7u);
  EXPECT_EQ(StringAt(e7, "server_root"), "/srv/data");
  EXPECT_EQ(StringAt(e7, "client_root"), "/mnt/data");
  EXPECT_TRUE(BoolAt(e7, "read_only"));
  EXPECT_EQ(StringAt(e7, "squash"), "all_squash");
  EXPECT_EQ(UintAt(e7, "anon_uid"), 1234u);
  EXPECT_EQ(UintAt(e7, "anon_gid"), 5678u);
}

TEST_F(LocalioStat, JsonListsEveryEntryWithIdentityAndPath) {
  MapExport e;
  e.export_id = 3;
  e.server_root = "/srv";
  ASSERT_TRUE(writer_->SetExport(e).ok());
  const std::vector<uint8_t> root = HandleFor(1), dir = HandleFor(2, 12), file = HandleFor(3, 40);
  ASSERT_EQ(writer_->Publish(3, root, "", 100, 9, MapObjectType::kDirectory), 0);
  ASSERT_EQ(writer_->Publish(3, dir, "a dir", 101, 9, MapObjectType::kDirectory), 0);
  ASSERT_EQ(writer_->Publish(3, file, "a dir/f\"1\n", 102, 9, MapObjectType::kRegular), 0);
  // Re-publishing under a new path bumps the generation.
  ASSERT_EQ(writer_->Publish(3, file, "a dir/f\"2\n", 102, 9, MapObjectType::kRegular), 0);

  const json doc = StatJson(MapPath());
  EXPECT_EQ(UintAt(doc, "entry_count"), 3u);
  // The records' bytes: three handles and paths with their NULs, in 8-byte units.
  const MapStats stats = writer_->Stats();
  EXPECT_GT(stats.arena_used_bytes, 0u);
  EXPECT_EQ(UintAt(doc, "arena_used_bytes"), stats.arena_used_bytes);
  EXPECT_EQ(UintAt(doc, "arena_bytes"), stats.arena_bytes);
  std::vector<StatEntry> entries;
  std::string error;
  ASSERT_TRUE(StatEntries(doc, &entries, &error)) << error;
  ASSERT_EQ(entries.size(), 3u);
  // Sorted by export, then path: "", "a dir", "a dir/f...".
  EXPECT_EQ(entries[0].path, "");
  EXPECT_EQ(entries[0].type, "directory");
  EXPECT_EQ(entries[0].handle_hex, HexBytes(root.data(), root.size()));
  EXPECT_EQ(entries[0].ino, 100u);
  EXPECT_EQ(entries[1].path, "a dir");
  EXPECT_EQ(entries[1].handle_hex, HexBytes(dir.data(), dir.size()));
  EXPECT_EQ(entries[2].path, "a dir/f\"2\n");
  EXPECT_EQ(entries[2].type, "regular");
  EXPECT_EQ(entries[2].export_id, 3u);
  EXPECT_EQ(entries[2].ino, 102u);
  EXPECT_EQ(entries[2].dev, 9u);
  // Fresh slots: published once vs. re-published once.
  EXPECT_GT(entries[2].generation, entries[1].generation);
  EXPECT_EQ(entries[2].handle_hex, HexBytes(file.data(), file.size()));
}

// Paths are bytes: control characters and quotes come back as they are,
// bytes that are not UTF-8 as U+FFFD, and the document stays valid JSON.
TEST_F(LocalioStat, JsonKeepsOddPathsAndReplacesBytesThatAreNotUtf8) {
  MapExport e;
  e.export_id = 4;
  e.server_root = "/srv";
  ASSERT_TRUE(writer_->SetExport(e).ok());
  const std::string odd("caf\xc3\xa9 \x01\x7f\\\"q\"", 12);
  ASSERT_EQ(writer_->Publish(4, HandleFor(1), odd, 10, 9, MapObjectType::kRegular), 0);
  ASSERT_EQ(writer_->Publish(4, HandleFor(2), "x\xff\xc3y", 11, 9, MapObjectType::kRegular), 0);

  std::vector<StatEntry> entries;
  std::string error;
  ASSERT_TRUE(StatEntries(StatJson(MapPath()), &entries, &error)) << error;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].path, odd);
  EXPECT_EQ(entries[1].path, "x\xef\xbf\xbd\xef\xbf\xbdy");
}

TEST_F(LocalioStat, JsonShowsHelloSlotsWithTheConfirmedInstance) {
  std::unique_ptr<HelloClient> client;
  ASSERT_TRUE(HelloClient::Open(writer_->hello_path(), geteuid(), &client).ok());
  ASSERT_EQ(client->Claim(), 0);
  Nonce nonce{};
  nonce.fill(0x5a);
  ASSERT_EQ(client->SetNonce(&nonce), 0);
  ASSERT_TRUE(writer_->ConfirmNonce(nonce));
  InstanceId confirmed;
  ASSERT_EQ(client->ReadConfirmation(&confirmed), 1);  // the client marks it confirmed
  client->CountRead(1, 4096);
  client->CountRead(1, 100);
  client->CountWrite(1, 10);
  client->CountFallback(2);

  const json doc = StatJson(MapPath());
  const json& hello = doc.at("hello");
  EXPECT_EQ(StringAt(hello, "path"), writer_->hello_path());
  EXPECT_TRUE(hello.at("error").is_null());
  const json& slots = hello.at("slots");
  ASSERT_TRUE(slots.is_array() && slots.size() == 1u);
  const json& s = slots.at(0);
  EXPECT_EQ(UintAt(s, "slot"), static_cast<uint64_t>(client->slot()));
  EXPECT_EQ(StringAt(s, "state"), "confirmed");
  EXPECT_EQ(UintAt(s, "client_pid"), static_cast<uint64_t>(getpid()));
  EXPECT_EQ(StringAt(s, "confirmed_instance"),
            HexBytes(writer_->instance_id().data(), writer_->instance_id().size()));
  EXPECT_EQ(UintAt(s, "read_ops"), 2u);
  EXPECT_EQ(UintAt(s, "read_bytes"), 4196u);
  EXPECT_EQ(UintAt(s, "write_ops"), 1u);
  EXPECT_EQ(UintAt(s, "write_bytes"), 10u);
  const json& fallbacks = s.at("fallbacks");
  ASSERT_TRUE(fallbacks.is_array() && fallbacks.size() == kHelloFallbackReasons);
  for (const json& f : fallbacks) EXPECT_TRUE(f.is_number_unsigned()) << f;
  EXPECT_EQ(fallbacks.at(2).get<uint64_t>(), 1u);
  EXPECT_EQ(fallbacks.at(0).get<uint64_t>(), 0u);
  const json& exports = s.at("exports");
  ASSERT_TRUE(exports.is_array() && exports.size() == 1u) << exports;
  EXPECT_EQ(UintAt(exports.at(0), "export_id"), 1u);
  EXPECT_EQ(UintAt(exports.at(0), "read_bytes"), 4196u);
  EXPECT_EQ(UintAt(exports.at(0), "write_ops"), 1u);
}

TEST_F(LocalioStat, StoppedServerShowsAsNotAlive) {
  const std::string map = MapPath();
  writer_.reset();  // marks the map dead, leaves the files
  const json doc = StatJson(map);
  EXPECT_FALSE(BoolAt(doc.at("header"), "alive"));
  StatRun text = Stat({map});
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("DEAD"), std::string::npos) << text.out;
}

TEST_F(LocalioStat, TableNamesExportsAndEntriesOnlyWithEntriesFlag) {
  MapExport e;
  e.export_id = 12;
  e.server_root = "/srv/table";
  ASSERT_TRUE(writer_->SetExport(e).ok());
  const std::vector<uint8_t> h = HandleFor(5);
  ASSERT_EQ(writer_->Publish(12, h, "sub/file.txt", 55, 1, MapObjectType::kRegular), 0);

  StatRun plain = Stat({MapPath()});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_NE(plain.out.find("/srv/table"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("40123"), std::string::npos) << plain.out;
  EXPECT_EQ(plain.out.find("sub/file.txt"), std::string::npos) << plain.out;
  const std::string records = "records     " + std::to_string(writer_->Stats().arena_used_bytes) +
                              " / " + std::to_string(writer_->Stats().arena_bytes);
  EXPECT_NE(plain.out.find(records), std::string::npos) << plain.out;

  StatRun full = Stat({"--entries", MapPath()});
  ASSERT_EQ(full.status, 0) << full.err;
  EXPECT_NE(full.out.find("sub/file.txt"), std::string::npos) << full.out;
  EXPECT_NE(full.out.find(HexBytes(h.data(), h.size())), std::string::npos) << full.out;
}

TEST_F(LocalioStat, MissingHelloFileIsReportedButNotFatal) {
  ASSERT_EQ(unlink(writer_->hello_path().c_str()), 0);
  StatRun r = Stat({"--json", MapPath()});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.err.find(writer_->hello_path()), std::string::npos) << r.err;
  EXPECT_FALSE(StringAt(json::parse(r.out).at("hello"), "error").empty());
}

TEST_F(LocalioStat, JsonSaysTheMapIsTrustedByItsServersUid) {
  const json trust = StatJson(MapPath()).at("trust");
  EXPECT_TRUE(BoolAt(trust, "trusted"));
  EXPECT_EQ(UintAt(trust, "server_uid"), 0u);
  EXPECT_TRUE(trust.at("reason").is_null());
}

// A map clients would refuse (here: a neighbour's, given to uid 1001) is
// shown all the same, with why it is not trusted, and exit status 1.
TEST_F(LocalioStat, AMapOfAnotherUidIsShownAsNotTrustedAndExitsOne) {
  ASSERT_EQ(chown(MapPath().c_str(), 1001, static_cast<gid_t>(-1)), 0);
  const std::string why = "map " + MapPath() +
                          " is owned by uid 1001, not by the server's uid 0 "
                          "(LOCALIO_SERVER_UID): not trusted";
  StatRun r = Stat({"--json", MapPath()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "localio-stat: " + MapPath() + ": " + why + "\n");
  const json doc = json::parse(r.out);
  EXPECT_FALSE(BoolAt(doc.at("trust"), "trusted"));
  EXPECT_EQ(StringAt(doc.at("trust"), "reason"), why);
  EXPECT_EQ(StringAt(doc.at("header"), "instance_id"),
            HexBytes(writer_->instance_id().data(), writer_->instance_id().size()));
  r = Stat({MapPath()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.rfind("NOT TRUSTED " + why + "\n", 0), 0u) << r.out;
  // The server of uid 1001 would own its hello file too.
  ASSERT_EQ(chown(writer_->hello_path().c_str(), 1001, static_cast<gid_t>(-1)), 0);
  r = Stat({"--json", "--server-uid", "1001", MapPath()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(BoolAt(json::parse(r.out).at("trust"), "trusted"));
  EXPECT_EQ(UintAt(json::parse(r.out).at("trust"), "server_uid"), 1001u);
}

TEST_F(LocalioStat, AnUntrustedHelloFileIsReportedButNotShown) {
  ASSERT_EQ(chmod(writer_->hello_path().c_str(), 0666), 0);
  StatRun r = Stat({"--json", MapPath()});
  EXPECT_EQ(r.status, 0) << "the map itself is trusted";
  const json hello = json::parse(r.out).at("hello");
  EXPECT_NE(StringAt(hello, "error").find("is writable by others (mode 0666)"), std::string::npos)
      << r.out;
  EXPECT_TRUE(hello.at("slots").empty());
}

// Exit 1 and "localio-stat: MAP: <reason>" for a file that is not a usable
// map, in-process and from the binary.
void ExpectUnusable(const std::string& map, const std::string& reason_part) {
  for (const bool as_json : {false, true}) {
    std::vector<std::string> args = {map};
    if (as_json) args.insert(args.begin(), "--json");
    StatRun r = Stat(args);
    EXPECT_EQ(r.status, 1) << map;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("localio-stat: " + map + ": ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(reason_part), std::string::npos) << r.err;
  }
  harness::CommandResult c;
  Status s = harness::RunCommand({LocalioStatTool(), "--json", map}, std::chrono::seconds(30), &c);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(c.exit_code, 1) << c.Describe();
  EXPECT_EQ(c.out, "");
  EXPECT_EQ(c.err.rfind("localio-stat: " + map + ": ", 0), 0u) << c.err;
  EXPECT_NE(c.err.find(reason_part), std::string::npos) << c.err;
}

TEST(LocalioStatErrors, MissingMapExitsOne) {
  TempDir dir = MapTempDir();
  ExpectUnusable(dir.Path("no-such-map"), "No such file");
}

TEST(LocalioStatErrors, FileThatIsNotAMapExitsOne) {
  TempDir dir = MapTempDir();
  ASSERT_TRUE(harness::WriteFile(dir.Path("junk"), std::string(8192, '\x42')));
  ExpectUnusable(dir.Path("junk"), "bad magic");
}

TEST(LocalioStatErrors, TruncatedMapExitsOne) {
  TempDir dir = MapTempDir();
  std::string copy = dir.Path("truncated");
  {
    std::unique_ptr<MapWriter> w;
    ASSERT_TRUE(MapWriter::Create(ConfigIn(dir, 64), &w).ok());
    const std::string bytes = harness::ReadFile(w->path());
    ASSERT_TRUE(harness::WriteFile(copy, std::string_view(bytes).substr(0, bytes.size() / 2)));
  }
  ExpectUnusable(copy, "header claims");
  ASSERT_TRUE(harness::WriteFile(copy, std::string(100, '\0')));
  ExpectUnusable(copy, "shorter than a header");
}

TEST(LocalioStatErrors, BadUsageExitsTwo) {
  StatRun r = Stat({"--frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option --frobnicate"), std::string::npos) << r.err;
  r = Stat({"a", "b"});
  EXPECT_EQ(r.status, 2);
  r = Stat({"--server-uid", "root", "a"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--server-uid \"root\" is not a uid"), std::string::npos) << r.err;
  r = Stat({"--server-uid"});
  EXPECT_EQ(r.status, 2);
}

// --prometheus: the text format's families, the map's values, a client
// slot's counters with the fallback reasons' names, label values escaped.
TEST_F(LocalioStat, PrometheusShowsTheMapAndEachClientSlot) {
  MapExport e;
  e.export_id = 3;
  e.server_root = "/srv/\"quoted\"";
  ASSERT_TRUE(writer_->SetExport(e).ok());
  ASSERT_EQ(writer_->Publish(3, HandleFor(1), "f", 1, 9, MapObjectType::kRegular), 0);
  std::unique_ptr<HelloClient> client;
  ASSERT_TRUE(HelloClient::Open(writer_->hello_path(), geteuid(), &client).ok());
  ASSERT_EQ(client->Claim(), 0);
  client->CountRead(3, 4096);
  client->CountWrite(3, 512);
  client->CountWrite(3, 512);
  client->CountFallback(2);
  const StatRun r = Stat({"--prometheus", MapPath()});
  EXPECT_EQ(r.status, 0) << r.err;
  const std::string m = "map=\"" + MapPath() + "\"";
  const std::string slot = m + ",slot=\"" + std::to_string(client->slot()) + "\",pid=\"";
  for (const std::string& line : std::vector<std::string>{
           "# TYPE localio_server_up gauge", "localio_server_up{" + m + "} 1",
        "localio_map_entries{" + m + "} 1", "localio_map_capacity_entries{" + m + "} 64",
        "# TYPE localio_map_evictions_total counter",
        "localio_export_info{" + m + ",export_id=\"3\",server_root=\"/srv/\\\"quoted\\\"\"",
        "localio_hello_slots{" + m + ",state=\"claimed\"} 1",
        "# TYPE localio_client_bypassed_bytes_total counter"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << "\n" << r.out;
  }
  for (const auto& [family, label, value] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"localio_client_bypassed_operations_total", "op=\"read\"", "1"},
           {"localio_client_bypassed_operations_total", "op=\"write\"", "2"},
           {"localio_client_bypassed_bytes_total", "op=\"read\"", "4096"},
           {"localio_client_bypassed_bytes_total", "op=\"write\"", "1024"},
           {"localio_client_export_bypassed_operations_total", "export_id=\"3\",op=\"write\"", "2"},
           {"localio_client_export_bypassed_bytes_total", "export_id=\"3\",op=\"read\"", "4096"},
           {"localio_client_rpc_fallbacks_total", "reason=\"open\"", "1"},
           {"localio_client_rpc_fallbacks_total", "reason=\"not_local\"", "0"}}) {
    const std::string prefix = family + "{" + slot;
    const size_t at = r.out.find(prefix);
    ASSERT_NE(at, std::string::npos) << prefix << "\n" << r.out;
    const std::string rest = r.out.substr(at);
    const std::string want = "," + label + "} " + value + "\n";
    EXPECT_NE(rest.find(want), std::string::npos) << family << " " << want << "\n" << r.out;
  }
  writer_->MarkDead();
  EXPECT_NE(Stat({"--prometheus", MapPath()}).out.find("localio_server_up{" + m + "} 0"),
            std::string::npos);
  EXPECT_EQ(Stat({"--prometheus", "--json", MapPath()}).status, 2);
}

}  // namespace
}  // namespace localio::tools
