// SPDX-License-Identifier: LGPL-3.0-or-later
// The C API of localio_server.h against a real map in a temp directory: what
// each call leaves in the map is read back through MapReader, as a client
// would read it; the handshake goes over TCP to the started listener.
#include "localio_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "harness/clock.h"
#include "harness/failing_new.h"
#include "harness/temp_dir.h"
#include "harness/wait.h"
#include "localio/hello_area.h"
#include "localio/localio_caller.h"
#include "localio/map_reader.h"
#include "vfs_handle.h"

namespace localio {
namespace {

using harness::TempDir;

// No C++ exception leaves the server's C API (Ganesha's threads are C).
static_assert(noexcept(localio_server_start(nullptr, nullptr, 0)));
static_assert(noexcept(localio_server_stop()));
static_assert(noexcept(localio_server_running()));
static_assert(noexcept(localio_server_defer(nullptr, nullptr, nullptr)));
static_assert(noexcept(localio_server_port()));
static_assert(noexcept(localio_server_add_export(nullptr)));
static_assert(noexcept(localio_server_suspend_export(0)));
static_assert(noexcept(localio_server_remove_export(0)));
static_assert(noexcept(localio_publish_root(0, nullptr)));
static_assert(noexcept(localio_publish_child(0, nullptr, 0, nullptr, nullptr)));
static_assert(noexcept(localio_publish_wire(0, nullptr, 0)));
static_assert(noexcept(localio_unpublish(0, nullptr, 0)));
static_assert(noexcept(localio_renamed(0, nullptr, nullptr, 0, nullptr)));

constexpr uint16_t kExport = 7;

class LocalioServerTest : public ::testing::Test {
 protected:
  void TearDown() override { localio_server_stop(); }

  localio_server_params Params(const std::string& map_path) {
    map_path_ = map_path;
    localio_server_params p{};
    p.map_path = map_path_.c_str();
    p.map_mode = 0640;
    p.map_gid = -1;
    p.max_entries = 1024;
    p.port = 0;
    p.bind_addr = "127.0.0.1";
    p.register_rpcbind = false;  // the test must not touch the host's rpcbind
    p.fh_format = localio_fh_format_ganesha();
    return p;
  }

  // Starts on <shm>/map and opens map_ on it; fails the test otherwise.
  // `clock`: the server's (harness/clock.h), which must outlive it.
  void Start(const Clock& clock = SystemClock()) {
    const localio_server_params p = Params(shm_.Path("map"));
    char err[256] = "";
    ASSERT_EQ(0, localio_server_start_on_clock(&p, clock, err, sizeof err)) << err;
    Status st = MapReader::Open(shm_.Path("map"), LOCALIO_DEFAULT_SERVER_UID, &map_);
    ASSERT_TRUE(st.ok()) << st.message;
  }

  // Adds kExport over <root_>, resolving VFS handles from the kernel.
  void AddExport(localio_resolver resolver = LOCALIO_RESOLVER_VFS) {
    localio_export_desc d{};
    d.export_id = kExport;
    d.server_root = root_.path().c_str();
    d.squash = LOCALIO_SQUASH_ROOT;
    d.anon_uid = d.anon_gid = LOCALIO_DEFAULT_ANON_ID;
    d.resolver = resolver;
    ASSERT_EQ(0, localio_server_add_export(&d));
  }
  // A started server with kExport added.
  void StartWithExport(localio_resolver resolver = LOCALIO_RESOLVER_VFS,
                       const Clock& clock = SystemClock()) {
    ASSERT_NO_FATAL_FAILURE(Start(clock));
    ASSERT_NO_FATAL_FAILURE(AddExport(resolver));
  }

  // A real object under the export root, described as the FSAL would.
  struct Object {
    std::string opaque;
    localio_object obj{};
  };
  Object Describe(const std::string& rel) {
    Object o;
    const int dir = open(root_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(dir, 0);
    o.opaque = VfsOpaqueOf(dir, rel.c_str());
    close(dir);
    EXPECT_FALSE(o.opaque.empty()) << rel;
    struct stat st {};
    EXPECT_EQ(0, lstat(rel.empty() ? root_.path().c_str() : root_.Path(rel).c_str(), &st));
    o.obj.opaque = o.opaque.data();
    o.obj.opaque_len = o.opaque.size();
    o.obj.ino = st.st_ino;
    o.obj.dev = st.st_dev;
    o.obj.type = static_cast<localio_obj_type>(MapObjectTypeOfMode(st.st_mode));
    return o;
  }
  // A new file at rel (and the directories to it).
  Object NewFile(const std::string& rel) {
    EXPECT_TRUE(root_.MakeFile(rel)) << rel;
    return Describe(rel);
  }
  // A new file at rel, published as a handle going to a client would be.
  Object PublishFile(const std::string& rel) {
    Object o = NewFile(rel);
    localio_publish_wire(kExport, o.opaque.data(), o.opaque.size());
    return o;
  }
  // A started server, kExport without a resolver, and root, dir and
  // dir/file under it (nothing published yet).
  struct Tree {
    Object root, dir, file;
  };
  Tree StartWithTree() {
    StartWithExport(LOCALIO_RESOLVER_NONE);
    EXPECT_TRUE(root_.MakeFile("dir/file"));
    return {Describe(""), Describe("dir"), Describe("dir/file")};
  }
  // A started server, kExport without a resolver, its root published.
  Object StartWithRoot() {
    StartWithExport(LOCALIO_RESOLVER_NONE);
    Object root = Describe("");
    localio_publish_root(kExport, &root.obj);
    return root;
  }
  // As a LOOKUP of `name` in parent that found child publishes it.
  static uint64_t PublishChild(const Object& parent, const char* name, const Object& child) {
    return localio_publish_child(kExport, parent.opaque.data(), parent.opaque.size(), name,
                                 &child.obj);
  }
  static std::span<const uint8_t> Key(const Object& o) {
    return {reinterpret_cast<const uint8_t*>(o.opaque.data()), o.opaque.size()};
  }
  // The path the map holds for o, or "<absent>".
  std::string MapPath(const Object& o, uint16_t id = kExport) {
    MapEntry e;
    const int rc = map_->Lookup(id, Key(o), &e);
    return rc == 0 ? std::string(e.path()) : "<absent rc=" + std::to_string(rc) + ">";
  }
  uint64_t Entries() {
    uint64_t n = 0;
    map_->ForEachEntry([&](const MapEntry&) { ++n; });
    return n;
  }

  // For Start(manual_clock_): the server, stopped at TearDown, may read it
  // until then.
  harness::ManualClock manual_clock_;
  TempDir shm_{"localio-server-test", "/dev/shm"};
  TempDir root_{"localio-server-export"};
  std::string map_path_;
  std::unique_ptr<MapReader> map_;  // as a client reads the map, from Start()
};

TEST_F(LocalioServerTest, StartCreatesTheMapWithTheListenersPort) {
  ASSERT_FALSE(localio_server_running());
  EXPECT_EQ(localio_server_port(), 0);
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_TRUE(localio_server_running());
  const uint16_t port = localio_server_port();
  EXPECT_GT(port, 0);
  MapHeaderSnapshot h;
  ASSERT_TRUE(map_->ReadHeader(&h));
  EXPECT_EQ(h.port, port);
  EXPECT_TRUE(h.alive);
  EXPECT_EQ(h.server_pid, static_cast<uint32_t>(getpid()));
  struct stat st {};
  ASSERT_EQ(0, stat(shm_.Path("map").c_str(), &st));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(0, stat(shm_.Path("map.hello").c_str(), &st));
  EXPECT_EQ(st.st_mode & 07777, 0660u);  // readers of the map may say hello
  // The listener answers LOCALIO NULL on the published port.
  Status s = rpc::LocalioCaller().Null("127.0.0.1", port);
  EXPECT_TRUE(s.ok()) << s.message;
}

// Out of memory inside a call is a logged failure and an errno: the server
// and the map go on.
TEST_F(LocalioServerTest, OutOfMemoryInACallIsAnErrnoNotAnException) {
  ASSERT_NO_FATAL_FAILURE(Start());
  localio_export_desc d{};
  d.export_id = kExport;
  d.server_root = root_.path().c_str();
  d.squash = LOCALIO_SQUASH_ROOT;
  d.resolver = LOCALIO_RESOLVER_VFS;
  harness::FailAllocations(true);
  const int rc = localio_server_add_export(&d);
  const Object o = [&] {
    harness::FailAllocations(false);
    return Describe("");
  }();
  harness::FailAllocations(true);
  localio_publish_root(kExport, &o.obj);
  harness::FailAllocations(false);
  EXPECT_EQ(rc, -ENOMEM);
  EXPECT_TRUE(localio_server_running());
  ASSERT_NO_FATAL_FAILURE(AddExport());
  localio_publish_root(kExport, &o.obj);
  EXPECT_EQ(MapPath(o), "");
}

// The heartbeat runs on the server's clock: a beat each time a period has
// passed on it since the last, stamped with its time (a beat a millisecond
// early would leave the stamp a millisecond short).
TEST_F(LocalioServerTest, TheHeartbeatBeatsEachPeriodOfItsClock) {
  harness::ManualClock& clock = manual_clock_;
  ASSERT_NO_FATAL_FAILURE(Start(clock));
  EXPECT_EQ(map_->HeartbeatMs(), clock.NowMs()) << "the map is made with a beat";
  for (int beat = 1; beat <= 3; ++beat) {
    clock.Advance(LOCALIO_HEARTBEAT_PERIOD_MS - 1);
    clock.Advance(1);
    EXPECT_TRUE(harness::WaitUntil([&] { return map_->HeartbeatMs() == clock.NowMs(); },
                                   std::chrono::seconds(10)))
        << "beat " << beat << ": the map's heartbeat is " << map_->HeartbeatMs()
        << ", the clock says " << clock.NowMs();
  }
}

// The heartbeat thread runs on the system clock when started by Ganesha:
// the next beat comes within three periods.
TEST_F(LocalioServerTest, TheHeartbeatAdvancesWhileRunning) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const uint64_t first = map_->HeartbeatMs();
  harness::WaitUntil([&] { return map_->HeartbeatMs() != first; },
                     std::chrono::milliseconds(3 * LOCALIO_HEARTBEAT_PERIOD_MS));
  EXPECT_GT(map_->HeartbeatMs(), first);
}

TEST_F(LocalioServerTest, ASecondStartIsRefusedAndKeepsTheFirst) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const uint16_t port = localio_server_port();
  TempDir other("localio-server-other", "/dev/shm");
  const std::string other_map = other.Path("map");
  localio_server_params p = Params(other_map);
  char err[256] = "";
  EXPECT_EQ(-EALREADY, localio_server_start(&p, err, sizeof err));
  EXPECT_NE(std::string(err).find("already running"), std::string::npos) << err;
  EXPECT_TRUE(localio_server_running());
  EXPECT_EQ(localio_server_port(), port);
  EXPECT_NE(0, access(other_map.c_str(), F_OK));  // nothing created there
}

TEST_F(LocalioServerTest, StopMarksTheMapDeadAndIsIdempotent) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const uint16_t port = localio_server_port();
  ASSERT_TRUE(map_->Alive());
  localio_server_stop();
  EXPECT_FALSE(localio_server_running());
  EXPECT_EQ(localio_server_port(), 0);
  EXPECT_FALSE(map_->Alive());
  Status s = rpc::LocalioCaller().Null("127.0.0.1", port);
  EXPECT_FALSE(s.ok());  // the listener is closed
  localio_server_stop();
  EXPECT_FALSE(localio_server_running());
  // Publishing after stop is a quiet no-op.
  localio_publish_wire(kExport, "x", 1);
  localio_server_remove_export(kExport);
}

TEST_F(LocalioServerTest, StartsAgainAfterStopWithANewInstance) {
  ASSERT_NO_FATAL_FAILURE(Start());
  InstanceId first = map_->instance_id();
  localio_server_stop();
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_TRUE(map_->Alive());
  EXPECT_NE(map_->instance_id(), first);
}

TEST_F(LocalioServerTest, ExportRowCarriesTheExportsAccess) {
  ASSERT_NO_FATAL_FAILURE(Start());
  const uint64_t epoch = map_->Epoch();
  localio_export_desc d{};
  d.export_id = kExport;
  d.server_root = root_.path().c_str();
  d.client_root = "/mnt/client";
  d.read_only = true;
  d.squash = LOCALIO_SQUASH_ALL;
  d.anon_uid = 1234;
  d.anon_gid = 5678;
  d.resolver = LOCALIO_RESOLVER_VFS;
  ASSERT_EQ(0, localio_server_add_export(&d));
  auto row = map_->FindExport(kExport);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->server_root, root_.path());
  EXPECT_EQ(row->client_root, "/mnt/client");
  EXPECT_TRUE(row->read_only);
  EXPECT_EQ(row->squash, MapSquash::kAllSquash);
  EXPECT_EQ(row->anon_uid, 1234u);
  EXPECT_EQ(row->anon_gid, 5678u);
  EXPECT_GT(map_->Epoch(), epoch);

  // Changing the row bumps the epoch again; no Client_Root = the same path.
  const uint64_t epoch2 = map_->Epoch();
  d.client_root = nullptr;
  d.read_only = false;
  d.squash = LOCALIO_SQUASH_ROOT_ID;
  ASSERT_EQ(0, localio_server_add_export(&d));
  row = map_->FindExport(kExport);
  ASSERT_TRUE(row.has_value());
  EXPECT_FALSE(row->read_only);
  EXPECT_EQ(row->squash, MapSquash::kRootIdSquash);
  EXPECT_EQ(row->client_root, root_.path());
  EXPECT_GT(map_->Epoch(), epoch2);
}

TEST_F(LocalioServerTest, ExportRootIsStoredCanonical) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(root_.MakeDir("real"));
  ASSERT_TRUE(root_.MakeSymlink("alias", "real"));
  const std::string alias = root_.Path("alias/");
  localio_export_desc d{};
  d.export_id = kExport;
  d.server_root = alias.c_str();
  ASSERT_EQ(0, localio_server_add_export(&d));
  auto row = map_->FindExport(kExport);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->server_root, root_.Path("real"));
}

TEST_F(LocalioServerTest, AddExportNeedsARunningServerAndAnExistingRoot) {
  localio_export_desc d{};
  d.export_id = kExport;
  d.server_root = root_.path().c_str();
  EXPECT_EQ(-ENOTCONN, localio_server_add_export(&d));
  ASSERT_NO_FATAL_FAILURE(Start());
  const std::string missing = root_.Path("missing");
  d.server_root = missing.c_str();
  EXPECT_EQ(-ENOENT, localio_server_add_export(&d));
  EXPECT_FALSE(map_->FindExport(kExport).has_value());
}

TEST_F(LocalioServerTest, PublishRootAndChildrenAreVisible) {
  const Tree t = StartWithTree();
  const Object &root = t.root, &dir = t.dir, &file = t.file;
  localio_publish_root(kExport, &root.obj);
  PublishChild(root, "dir", dir);
  PublishChild(dir, "file", file);
  EXPECT_EQ(MapPath(root), "");
  EXPECT_EQ(MapPath(dir), "dir");
  EXPECT_EQ(MapPath(file), "dir/file");
  MapEntry e;
  ASSERT_EQ(0, map_->Lookup(kExport, Key(file), &e));
  EXPECT_EQ(e.ino, file.obj.ino);
  EXPECT_EQ(e.dev, file.obj.dev);
  EXPECT_EQ(e.type, MapObjectType::kRegular);
  ASSERT_EQ(0, map_->Lookup(kExport, Key(dir), &e));
  EXPECT_EQ(e.type, MapObjectType::kDirectory);
  // Another export id knows none of it.
  EXPECT_NE(MapPath(file, kExport + 1), "dir/file");
}

MapInodeStamp StampOf(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  struct statx sx {};
  EXPECT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx));
  const MapInodeStamp stamp = MapInodeStampOf(fd, sx);
  close(fd);
  return stamp;
}

// Without kernel handles, only the inode stamp tells a regular file from a
// later one with its inode number; with them, the kernel handle does (and
// the server pays no open per entry).
TEST_F(LocalioServerTest, FilesCarryTheirInodeStampWhereHandlesAreNotKernelHandles) {
  const Tree t = StartWithTree();
  const Object &root = t.root, &dir = t.dir, &file = t.file;
  const MapInodeStamp want = StampOf(root_.Path("dir/file"));
  ASSERT_NE(want.birth_ns, 0u) << "the filesystem reports no birth time";
  ASSERT_TRUE(want.has_generation) << "the filesystem has no inode generation";
  const auto publish = [&] {
    localio_publish_root(kExport, &root.obj);
    PublishChild(root, "dir", dir);
    PublishChild(dir, "file", file);
  };
  publish();
  MapEntry e;
  ASSERT_EQ(0, map_->Lookup(kExport, Key(file), &e));
  EXPECT_EQ(e.stamp, want);
  ASSERT_EQ(0, map_->Lookup(kExport, Key(dir), &e));
  EXPECT_EQ(e.stamp, MapInodeStamp{}) << "directories are never opened by clients";

  localio_server_stop();
  ASSERT_NO_FATAL_FAILURE(StartWithExport(LOCALIO_RESOLVER_VFS));
  publish();
  ASSERT_EQ(0, map_->Lookup(kExport, Key(file), &e));
  EXPECT_EQ(e.stamp, MapInodeStamp{});
}

TEST_F(LocalioServerTest, APathThatNamesAnotherObjectByNowIsNotPublished) {
  const Object root = StartWithRoot();
  const Object a = NewFile("a");
  ASSERT_TRUE(root_.MakeFile("b"));
  ASSERT_EQ(0, rename(root_.Path("b").c_str(), root_.Path("a").c_str()));
  PublishChild(root, "a", a);
  EXPECT_EQ(MapPath(a), "<absent rc=" + std::to_string(-ENOENT) + ">");
}

// A stamp is handed out only for what the map holds, and goes stale as
// soon as an entry leaves the map; the next wire publish then asks again.
TEST_F(LocalioServerTest, APublishStampHoldsUntilAnEntryLeavesTheMap) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object f = NewFile("d/f");
  const Object root = Describe("");
  const Object d = Describe("d");
  EXPECT_NE(localio_publish_root(kExport, &root.obj), 0u);
  const uint64_t stamp = localio_publish_child(kExport, root.opaque.data(), root.opaque.size(),
                                               "d", &d.obj);
  EXPECT_NE(stamp, 0u);
  EXPECT_EQ(stamp, localio_map_stamp());
  EXPECT_EQ(PublishChild(d, "f", f),
            stamp);
  localio_unpublish(kExport, f.opaque.data(), f.opaque.size());
  EXPECT_NE(localio_map_stamp(), stamp);
  const uint64_t again = localio_publish_wire(kExport, f.opaque.data(), f.opaque.size());
  EXPECT_EQ(again, localio_map_stamp());
  EXPECT_EQ(MapPath(f), "d/f");
  EXPECT_EQ(PublishChild(f, "x", d), 0u)
      << "a regular file is no directory: nothing published";
  localio_server_stop();
  EXPECT_EQ(localio_map_stamp(), 0u);
  EXPECT_EQ(localio_publish_wire(kExport, f.opaque.data(), f.opaque.size()), 0u);
}

// A handle the kernel cannot resolve is not tried again at once: READDIR
// and GETATTR storms of a removed file cost one open_by_handle_at. After
// LOCALIO_UNRESOLVABLE_MS of the server's clock it is tried again.
TEST_F(LocalioServerTest, AnUnresolvableHandleIsNotTriedAgainAtOnce) {
  harness::ManualClock& clock = manual_clock_;
  ASSERT_NO_FATAL_FAILURE(StartWithExport(LOCALIO_RESOLVER_VFS, clock));
  const Object gone = NewFile("gone");
  ASSERT_EQ(0, unlink(root_.Path("gone").c_str()));
  const uint64_t before = localio_server_kernel_resolutions();
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(localio_publish_wire(kExport, gone.opaque.data(), gone.opaque.size()), 0u);
  EXPECT_EQ(localio_server_kernel_resolutions(), before + 1);
  const Object here = NewFile("here");
  EXPECT_NE(localio_publish_wire(kExport, here.opaque.data(), here.opaque.size()), 0u);
  EXPECT_EQ(localio_server_kernel_resolutions(), before + 2) << "another handle is tried";
  clock.Advance(LOCALIO_UNRESOLVABLE_MS - 1);
  EXPECT_EQ(localio_publish_wire(kExport, gone.opaque.data(), gone.opaque.size()), 0u);
  EXPECT_EQ(localio_server_kernel_resolutions(), before + 2) << "tried again too soon";
  clock.Advance(1);
  EXPECT_EQ(localio_publish_wire(kExport, gone.opaque.data(), gone.opaque.size()), 0u);
  EXPECT_EQ(localio_server_kernel_resolutions(), before + 3) << "not tried again";
}

TEST_F(LocalioServerTest, NamesThatAreNotOneComponentAreNotPublished) {
  const Object root = StartWithRoot();
  const Object f = NewFile("f");
  for (const char* name : {"", ".", "..", "a/b", "/abs"}) {
    localio_publish_child(kExport, root.opaque.data(), root.opaque.size(), name, &f.obj);
    EXPECT_EQ(MapPath(f).rfind("<absent", 0), 0u) << "name '" << name << "'";
  }
  localio_publish_child(kExport, root.opaque.data(), root.opaque.size(), nullptr, &f.obj);
  EXPECT_EQ(Entries(), 1u);  // the root only
}

TEST_F(LocalioServerTest, AChildOfAnUnknownParentWaitsWithoutAResolver) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport(LOCALIO_RESOLVER_NONE));
  const Object f = NewFile("d/f");
  const Object d = Describe("d");
  PublishChild(d, "f", f);
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(LocalioServerTest, AnUnknownParentIsResolvedFromTheKernel) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object f = NewFile("x/y/f");
  const Object y = Describe("x/y");
  PublishChild(y, "f", f);
  EXPECT_EQ(MapPath(y), "x/y");
  EXPECT_EQ(MapPath(f), "x/y/f");
}

TEST_F(LocalioServerTest, PublishWireResolvesAnUnknownHandleOnce) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object c = PublishFile("a/b/c.txt");
  MapEntry e;
  ASSERT_EQ(0, map_->Lookup(kExport, Key(c), &e));
  EXPECT_EQ(e.path(), "a/b/c.txt");
  EXPECT_EQ(e.ino, c.obj.ino);
  EXPECT_EQ(e.dev, c.obj.dev);
  EXPECT_EQ(e.type, MapObjectType::kRegular);
  const uint64_t generation = e.generation;
  const uint64_t epoch = map_->Epoch();
  // Known now: another wire send changes nothing.
  localio_publish_wire(kExport, c.opaque.data(), c.opaque.size());
  ASSERT_EQ(0, map_->Lookup(kExport, Key(c), &e));
  EXPECT_EQ(e.generation, generation);
  EXPECT_EQ(map_->Epoch(), epoch);
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(LocalioServerTest, PublishWireLeavesOutWhatIsNotBelowTheRoot) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_TRUE(root_.MakeDir("export"));
  const Object out = NewFile("elsewhere");
  localio_export_desc d{};
  d.export_id = kExport;
  const std::string export_root = root_.Path("export");
  d.server_root = export_root.c_str();
  d.resolver = LOCALIO_RESOLVER_VFS;
  ASSERT_EQ(0, localio_server_add_export(&d));
  localio_publish_wire(kExport, out.opaque.data(), out.opaque.size());
  localio_publish_wire(kExport, "\xff\xff\xff\xff", 4);  // not VFS's
  localio_publish_wire(kExport + 1, out.opaque.data(), out.opaque.size());  // no export
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(LocalioServerTest, UnpublishDropsTheEntry) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object f = PublishFile("f");
  ASSERT_EQ(MapPath(f), "f");
  localio_unpublish(kExport, f.opaque.data(), f.opaque.size());
  MapEntry e;
  EXPECT_EQ(-ENOENT, map_->Lookup(kExport, Key(f), &e));
}

TEST_F(LocalioServerTest, ARenamedFileMovesItsEntry) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object f = NewFile("from/f");
  ASSERT_TRUE(root_.MakeDir("to"));
  const Object to = Describe("to");
  localio_publish_wire(kExport, f.opaque.data(), f.opaque.size());
  localio_publish_wire(kExport, to.opaque.data(), to.opaque.size());
  ASSERT_EQ(0, rename(root_.Path("from/f").c_str(), root_.Path("to/g").c_str()));
  localio_renamed(kExport, &f.obj, to.opaque.data(), to.opaque.size(), "g");
  EXPECT_EQ(MapPath(f), "to/g");
  EXPECT_EQ(Entries(), 2u);
}

TEST_F(LocalioServerTest, ARenamedDirectoryTakesItsEntriesAlong) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  const Object f = NewFile("d/f");
  const Object g = NewFile("d/sub/g");
  const Object keep = NewFile("dx/keep");  // shares the prefix, stays
  ASSERT_TRUE(root_.MakeDir("n"));
  const Object d = Describe("d");
  const Object sub = Describe("d/sub");
  const Object n = Describe("n");
  for (const Object* o : {&d, &f, &sub, &g, &keep, &n})
    localio_publish_wire(kExport, o->opaque.data(), o->opaque.size());
  ASSERT_EQ(MapPath(g), "d/sub/g");
  ASSERT_EQ(0, rename(root_.Path("d").c_str(), root_.Path("n/e").c_str()));
  localio_renamed(kExport, &d.obj, n.opaque.data(), n.opaque.size(), "e");
  EXPECT_EQ(MapPath(d), "n/e");
  EXPECT_EQ(MapPath(f), "n/e/f");
  EXPECT_EQ(MapPath(sub), "n/e/sub");
  EXPECT_EQ(MapPath(g), "n/e/sub/g");
  EXPECT_EQ(MapPath(keep), "dx/keep");
  EXPECT_EQ(MapPath(n), "n");
}

TEST_F(LocalioServerTest, ARenameIntoAnUnnamedPlaceDropsTheEntry) {
  const Object root = StartWithRoot();
  const Object f = NewFile("f");
  ASSERT_TRUE(root_.MakeDir("to"));
  const Object to = Describe("to");
  PublishChild(root, "f", f);
  ASSERT_EQ(MapPath(f), "f");
  // "to" is not in the map and cannot be resolved: "f" must not stay.
  localio_renamed(kExport, &f.obj, to.opaque.data(), to.opaque.size(), "g");
  MapEntry e;
  EXPECT_EQ(-ENOENT, map_->Lookup(kExport, Key(f), &e));
}

TEST_F(LocalioServerTest, ARenameToANameTheMapCannotHoldDropsTheEntry) {
  const Object root = StartWithRoot();
  const Object f = NewFile("f");
  PublishChild(root, "f", f);
  ASSERT_EQ(MapPath(f), "f");
  // Longer than the map's path field: the old path must not stay behind.
  const std::string long_name(kMapMaxPathLen + 1, 'n');
  localio_renamed(kExport, &f.obj, root.opaque.data(), root.opaque.size(), long_name.c_str());
  MapEntry e;
  EXPECT_EQ(-ENOENT, map_->Lookup(kExport, Key(f), &e));
}

TEST_F(LocalioServerTest, RemoveExportDropsItsEntriesAndBumpsTheEpoch) {
  ASSERT_NO_FATAL_FAILURE(StartWithExport());
  localio_export_desc other{};
  other.export_id = kExport + 1;
  other.server_root = root_.path().c_str();
  other.resolver = LOCALIO_RESOLVER_VFS;
  ASSERT_EQ(0, localio_server_add_export(&other));
  const Object a = NewFile("a");
  const Object b = NewFile("b");
  localio_publish_wire(kExport, a.opaque.data(), a.opaque.size());
  localio_publish_wire(kExport, b.opaque.data(), b.opaque.size());
  localio_publish_wire(kExport + 1, a.opaque.data(), a.opaque.size());
  ASSERT_EQ(Entries(), 3u);
  const uint64_t epoch = map_->Epoch();
  localio_server_remove_export(kExport);
  EXPECT_GT(map_->Epoch(), epoch);
  EXPECT_FALSE(map_->FindExport(kExport).has_value());
  EXPECT_TRUE(map_->FindExport(kExport + 1).has_value());
  EXPECT_EQ(Entries(), 1u);
  EXPECT_EQ(MapPath(a, kExport + 1), "a");
  // Its handles are no longer resolved either.
  localio_publish_wire(kExport, a.opaque.data(), a.opaque.size());
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(LocalioServerTest, UuidIsLocalConfirmsTheClientsNonce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::unique_ptr<HelloClient> hello;
  Status st = HelloClient::Open(shm_.Path("map.hello"), LOCALIO_DEFAULT_SERVER_UID, &hello);
  ASSERT_TRUE(st.ok()) << st.message;
  ASSERT_EQ(0, hello->Claim());
  Nonce nonce;
  std::random_device rd;
  for (auto& b : nonce) b = static_cast<uint8_t>(rd());
  nonce[0] |= 1;  // never all zero
  ASSERT_EQ(0, hello->SetNonce(&nonce));
  InstanceId instance{};
  ASSERT_EQ(0, hello->ReadConfirmation(&instance));

  // A nonce this client never wrote confirms nothing.
  Nonce stranger = nonce;
  stranger[kHelloNonceKeyBytes - 1] ^= 0x5A;
  Status s = rpc::LocalioCaller().UuidIsLocal("127.0.0.1", localio_server_port(), stranger);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(0, hello->ReadConfirmation(&instance));

  s = rpc::LocalioCaller(rpc::ProcessAuthSys())
          .UuidIsLocal("127.0.0.1", localio_server_port(), nonce);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(1, hello->ReadConfirmation(&instance));
  EXPECT_EQ(instance, map_->instance_id());

  // The key it wrote with another secret (what a neighbour who read the
  // slot could send): the server answers that secret, which the client
  // does not take for its own.
  nonce[kHelloNonceKeyBytes] ^= 0x5A;
  ASSERT_EQ(0, hello->SetNonce(&nonce));
  Nonce guessed = nonce;
  guessed[15] ^= 0x5A;
  s = rpc::LocalioCaller().UuidIsLocal("127.0.0.1", localio_server_port(), guessed);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(0, hello->ReadConfirmation(&instance));
}

// Ganesha's worker threads publish while an admin thread suspends and
// re-adds the export and the server stops: every call returns, and the ones
// after the stop do nothing. Its real check is ThreadSanitizer's (ci/test.sh
// runs this under it): no flag or table read without the lock or an atomic.
TEST_F(LocalioServerTest, PublishersRaceExportChangesAndStop) {
  const Tree t = StartWithTree();
  std::atomic<bool> stopped{false};
  std::atomic<uint64_t> after_stop{0};  // stamps returned after the stop
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        const bool was_stopped = stopped.load();
        uint64_t stamp = localio_publish_root(kExport, &t.root.obj);
        stamp |= PublishChild(t.root, "dir", t.dir);
        stamp |= PublishChild(t.dir, "file", t.file);
        stamp |= localio_publish_wire(kExport, t.file.opaque.data(), t.file.opaque.size());
        stamp |= localio_map_stamp();
        (void)localio_server_running();
        if (was_stopped) {
          after_stop |= stamp;
          if (i % 64 == 0) break;
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_NE(0u, localio_server_suspend_export(kExport));
    ASSERT_NO_FATAL_FAILURE(AddExport(LOCALIO_RESOLVER_NONE));
    localio_access_changed();
  }
  localio_server_stop();
  stopped = true;
  for (std::thread& w : workers) w.join();
  EXPECT_FALSE(localio_server_running());
  EXPECT_EQ(after_stop.load(), 0u);
}

// A deferred task runs on the heartbeat thread at each beat until it stops
// saying -EAGAIN, then its done; one still waiting at stop gets only its
// done; a stopped server defers nothing.
TEST_F(LocalioServerTest, DeferredTasksRunAtBeatsUntilDoneAndStopEndsTheRest) {
  harness::ManualClock& clock = manual_clock_;
  ASSERT_NO_FATAL_FAILURE(Start(clock));
  struct Task {
    std::atomic<int> runs{0};
    std::atomic<int> dones{0};
    int runs_wanted = 0;  // -EAGAIN until then; 0 = forever
  };
  const localio_task task = [](void* arg) {
    Task* t = static_cast<Task*>(arg);
    const int run = ++t->runs;
    return t->runs_wanted != 0 && run >= t->runs_wanted ? 0 : -EAGAIN;
  };
  const auto done = [](void* arg) { ++static_cast<Task*>(arg)->dones; };
  Task twice, forever;
  twice.runs_wanted = 2;
  ASSERT_EQ(0, localio_server_defer(task, done, &twice));
  ASSERT_EQ(0, localio_server_defer(task, done, &forever));
  // A beat: each ran once. The next: the first ran twice, then its done.
  clock.Advance(LOCALIO_HEARTBEAT_PERIOD_MS);
  EXPECT_TRUE(harness::WaitUntil([&] { return forever.runs == 1; }, std::chrono::seconds(10)));
  EXPECT_EQ(twice.runs, 1);
  EXPECT_EQ(twice.dones, 0);
  clock.Advance(LOCALIO_HEARTBEAT_PERIOD_MS);
  EXPECT_TRUE(harness::WaitUntil([&] { return twice.dones != 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(twice.runs, 2);
  EXPECT_EQ(twice.dones, 1);
  EXPECT_GE(forever.runs, 2);
  EXPECT_EQ(forever.dones, 0);
  localio_server_stop();
  EXPECT_EQ(forever.dones, 1);
  EXPECT_EQ(twice.dones, 1);
  Task late;
  EXPECT_EQ(-ENOTCONN, localio_server_defer(task, done, &late));
  EXPECT_EQ(late.runs + late.dones, 0);
}

// A bad Map_Path: the start fails naming it and leaves nothing running.
class LocalioServerBadMapPath : public LocalioServerTest {
 protected:
  void ExpectRefused(const std::string& map_path) {
    const localio_server_params p = Params(map_path);
    char err[512] = "";
    EXPECT_NE(0, localio_server_start(&p, err, sizeof err));
    EXPECT_NE(std::string(err).find("Map_Path"), std::string::npos) << err;
    EXPECT_FALSE(localio_server_running());
    EXPECT_EQ(localio_server_port(), 0);
    // Nothing was left half-started: a good start works afterwards.
    ASSERT_NO_FATAL_FAILURE(Start());
    EXPECT_TRUE(localio_server_running());
    localio_server_stop();
  }
};

TEST_F(LocalioServerBadMapPath, ARelativePathIsRefused) {
  // From inside the temp dir, so that a regression litters nothing else.
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(0, chdir(shm_.path().c_str()));
  ASSERT_TRUE(shm_.MakeDir("relative"));
  ExpectRefused("relative/map");
  ExpectRefused("map");
  EXPECT_NE(0, access("relative/map", F_OK));
  ASSERT_EQ(0, chdir(cwd));
}

TEST_F(LocalioServerBadMapPath, ASymlinkIsRefused) {
  TempDir target("localio-server-target", "/dev/shm");
  ASSERT_TRUE(shm_.MakeSymlink("link", target.Path("map")));
  ExpectRefused(shm_.Path("link"));
  EXPECT_NE(0, access(target.Path("map").c_str(), F_OK));  // nothing written through it
}

TEST_F(LocalioServerBadMapPath, ADirectoryIsRefused) {
  ASSERT_TRUE(shm_.MakeDir("adir"));
  ExpectRefused(shm_.Path("adir"));
  ExpectRefused(shm_.Path("adir") + "/");
}

TEST_F(LocalioServerBadMapPath, AMissingDirectoryIsRefused) {
  ExpectRefused(shm_.Path("no/such/dir/map"));
}

TEST_F(LocalioServerTest, APortInUseFailsAndLeavesTheMapDead) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(0, bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  ASSERT_EQ(0, listen(s, 1));
  socklen_t len = sizeof a;
  ASSERT_EQ(0, getsockname(s, reinterpret_cast<sockaddr*>(&a), &len));
  localio_server_params p = Params(shm_.Path("map"));
  p.port = ntohs(a.sin_port);
  char err[512] = "";
  EXPECT_NE(0, localio_server_start(&p, err, sizeof err));
  EXPECT_NE(std::string(err).find(std::to_string(p.port)), std::string::npos) << err;
  EXPECT_FALSE(localio_server_running());
  close(s);
  // A map created before the listener failed must not look alive.
  std::unique_ptr<MapReader> r;
  if (MapReader::Open(shm_.Path("map"), LOCALIO_DEFAULT_SERVER_UID, &r).ok()) {
    EXPECT_FALSE(r->Alive());
  }
}

}  // namespace
}  // namespace localio
