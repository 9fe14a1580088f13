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
#include <vector>

#include "harness/process.h"
#include "localio/hello_area.h"
#include "localio/map_writer.h"
#include "map_test_util.h"
#include "stat_cli.h"
#include "stat_json.h"

namespace localio::tools {
namespace {

using test::ConfigIn;
using test::HandleFor;
using test::TempDir;

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

JsonValue StatJson(const std::string& map) {
  StatRun r = Stat({"--json", map});
  EXPECT_EQ(r.status, 0) << r.err;
  JsonValue doc;
  std::string error;
  EXPECT_TRUE(ParseJson(r.out, &doc, &error)) << error << "\n" << r.out;
  return doc;
}

uint64_t UintAt(const JsonValue& v, const char* key) {
  const JsonValue* m = v.Find(key);
  EXPECT_NE(m, nullptr) << key;
  if (m == nullptr) return ~0ull;
  EXPECT_TRUE(m->Uint().has_value()) << key << " = " << m->text;
  return m->Uint().value_or(~0ull);
}

std::string StringAt(const JsonValue& v, const char* key) {
  const JsonValue* m = v.Find(key);
  EXPECT_TRUE(m != nullptr && m->kind == JsonValue::Kind::kString) << key;
  return m != nullptr ? m->text : "";
}

bool BoolAt(const JsonValue& v, const char* key) {
  const JsonValue* m = v.Find(key);
  EXPECT_TRUE(m != nullptr && m->kind == JsonValue::Kind::kBool) << key;
  return m != nullptr && m->boolean;
}

class LocalioStat : public ::testing::Test {
 protected:
  void SetUp() override {
    MapStatus st = MapWriter::Create(ConfigIn(dir_, 64), &writer_);
    ASSERT_TRUE(st.ok()) << st.message;
    writer_->SetPort(40123, 2049);
    writer_->Heartbeat();
  }
  std::string MapPath() const { return writer_->path(); }

  TempDir dir_;
  std::unique_ptr<MapWriter> writer_;
};

TEST_F(LocalioStat, JsonHeaderMatchesTheWriter) {
  const JsonValue doc = StatJson(MapPath());
  EXPECT_EQ(StringAt(doc, "map"), MapPath());
  const JsonValue* h = doc.Find("header");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(StringAt(*h, "instance_id"),
            HexBytes(writer_->instance_id().data(), writer_->instance_id().size()));
  EXPECT_EQ(UintAt(*h, "server_pid"), static_cast<uint64_t>(getpid()));
  EXPECT_TRUE(BoolAt(*h, "alive"));
  EXPECT_EQ(UintAt(*h, "port"), 40123u);
  EXPECT_EQ(UintAt(*h, "nfs_port"), 2049u);
  EXPECT_LT(UintAt(*h, "heartbeat_age_ms"), 60000u);
  const JsonValue* f = h->Find("fh_format");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(UintAt(*f, "version_byte"), 0x43u);
  EXPECT_EQ(UintAt(*f, "header_len"), 5u);
  EXPECT_EQ(UintAt(*f, "export_id_offset"), 2u);
  EXPECT_TRUE(BoolAt(*f, "export_id_big_endian"));
  EXPECT_EQ(UintAt(doc, "capacity"), writer_->Stats().capacity);
  EXPECT_EQ(UintAt(doc, "entry_count"), 0u);
}

TEST_F(LocalioStat, JsonListsExportsWithTheirPolicy) {
  const uint64_t epoch_before = UintAt(*StatJson(MapPath()).Find("header"), "epoch");
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

  const JsonValue doc = StatJson(MapPath());
  EXPECT_GT(UintAt(*doc.Find("header"), "epoch"), epoch_before);
  const JsonValue* exports = doc.Find("exports");
  ASSERT_NE(exports, nullptr);
  ASSERT_EQ(exports->items.size(), 2u);
  const JsonValue& e0 = exports->items[0];
  EXPECT_EQ(UintAt(e0, "export_id"), 0u);
  EXPECT_EQ(StringAt(e0, "server_root"), b.server_root);
  EXPECT_EQ(StringAt(e0, "client_root"), b.server_root) << "no client root = same as server";
  EXPECT_FALSE(BoolAt(e0, "read_only"));
  EXPECT_EQ(StringAt(e0, "squash"), "none");
  const JsonValue& e7 = exports->items[1];
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

  const JsonValue doc = StatJson(MapPath());
  EXPECT_EQ(UintAt(doc, "entry_count"), 3u);
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

TEST_F(LocalioStat, JsonShowsHelloSlotsWithTheConfirmedInstance) {
  std::unique_ptr<HelloClient> client;
  ASSERT_TRUE(HelloClient::Open(writer_->hello_path(), &client).ok());
  ASSERT_EQ(client->Claim(), 0);
  Nonce nonce{};
  nonce.fill(0x5a);
  ASSERT_EQ(client->SetNonce(nonce), 0);
  ASSERT_TRUE(writer_->ConfirmNonce(nonce));
  InstanceId confirmed;
  ASSERT_EQ(client->ReadConfirmation(&confirmed), 1);  // the client marks it confirmed
  client->CountRead(4096);
  client->CountRead(100);
  client->CountWrite(10);
  client->CountFallback(2);

  const JsonValue doc = StatJson(MapPath());
  const JsonValue* hello = doc.Find("hello");
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(StringAt(*hello, "path"), writer_->hello_path());
  EXPECT_TRUE(hello->Find("error") && hello->Find("error")->IsNull());
  const JsonValue* slots = hello->Find("slots");
  ASSERT_TRUE(slots != nullptr && slots->items.size() == 1u);
  const JsonValue& s = slots->items[0];
  EXPECT_EQ(UintAt(s, "slot"), static_cast<uint64_t>(client->slot()));
  EXPECT_EQ(StringAt(s, "state"), "confirmed");
  EXPECT_EQ(UintAt(s, "client_pid"), static_cast<uint64_t>(getpid()));
  EXPECT_EQ(StringAt(s, "confirmed_instance"),
            HexBytes(writer_->instance_id().data(), writer_->instance_id().size()));
  EXPECT_EQ(UintAt(s, "read_ops"), 2u);
  EXPECT_EQ(UintAt(s, "read_bytes"), 4196u);
  EXPECT_EQ(UintAt(s, "write_ops"), 1u);
  EXPECT_EQ(UintAt(s, "write_bytes"), 10u);
  const JsonValue* fallbacks = s.Find("fallbacks");
  ASSERT_TRUE(fallbacks != nullptr && fallbacks->items.size() == kHelloFallbackReasons);
  EXPECT_EQ(fallbacks->items[2].Uint(), 1u);
  EXPECT_EQ(fallbacks->items[0].Uint(), 0u);
}

TEST_F(LocalioStat, StoppedServerShowsAsNotAlive) {
  const std::string map = MapPath();
  writer_.reset();  // marks the map dead, leaves the files
  const JsonValue doc = StatJson(map);
  ASSERT_NE(doc.Find("header"), nullptr);
  EXPECT_FALSE(BoolAt(*doc.Find("header"), "alive"));
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
  JsonValue doc;
  std::string error;
  ASSERT_TRUE(ParseJson(r.out, &doc, &error)) << error;
  const JsonValue* err = doc.Find("hello") ? doc.Find("hello")->Find("error") : nullptr;
  ASSERT_TRUE(err != nullptr && err->kind == JsonValue::Kind::kString);
  EXPECT_FALSE(err->text.empty());
}

// Exit 1 and "localio-stat: MAP: <reason>" for a file that is not a usable
// map, in-process and from the binary.
void ExpectUnusable(const std::string& map, const std::string& reason_part) {
  for (const bool json : {false, true}) {
    std::vector<std::string> args = {map};
    if (json) args.insert(args.begin(), "--json");
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
  TempDir dir;
  ExpectUnusable(dir.File("no-such-map"), "No such file");
}

TEST(LocalioStatErrors, FileThatIsNotAMapExitsOne) {
  TempDir dir;
  std::vector<uint8_t> junk(8192, 0x42);
  test::WriteFile(dir.File("junk"), junk);
  ExpectUnusable(dir.File("junk"), "bad magic");
}

TEST(LocalioStatErrors, TruncatedMapExitsOne) {
  TempDir dir;
  std::string copy = dir.File("truncated");
  {
    std::unique_ptr<MapWriter> w;
    ASSERT_TRUE(MapWriter::Create(ConfigIn(dir, 64), &w).ok());
    std::vector<uint8_t> bytes = test::ReadFile(w->path());
    bytes.resize(bytes.size() / 2);
    test::WriteFile(copy, bytes);
  }
  ExpectUnusable(copy, "header claims");
  test::WriteFile(copy, std::vector<uint8_t>(100, 0));
  ExpectUnusable(copy, "shorter than a header");
}

TEST(LocalioStatErrors, BadUsageExitsTwo) {
  StatRun r = Stat({"--frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option --frobnicate"), std::string::npos) << r.err;
  r = Stat({"a", "b"});
  EXPECT_EQ(r.status, 2);
}

}  // namespace
}  // namespace localio::tools
