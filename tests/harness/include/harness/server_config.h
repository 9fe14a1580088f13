/* SPDX-License-Identifier: LGPL-3.0-or-later */
// What a test server looks like (exports, FSALs, extra config) and the
// ganesha.conf text generated from it. Rendering is a pure function so it can
// be unit-tested without starting anything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "localio/status.h"

namespace localio::harness {

enum class Fsal { kLocalio, kVfs };  // LOCALIO stacked over VFS, or plain VFS
enum class Access { kReadWrite, kReadOnly };

const char* FsalName(Fsal fsal);  // "LOCALIO" / "VFS"

// The export id of OneExport() and of ExportOptions by default.
inline constexpr uint16_t kDefaultExportId = 1;

struct ExportOptions {
  uint16_t id = kDefaultExportId;
  std::string path;      // exported directory; empty: "<server tmp>/export-<id>", created
  std::string pseudo;    // NFSv4 pseudo path; empty: "/export-<id>"
  Access access = Access::kReadWrite;
  std::string squash = "No_Root_Squash";  // tests run as root
  Fsal fsal = Fsal::kLocalio;
  // Lines added inside the export's outer FSAL block (LOCALIO's own
  // parameters for a stacked export, VFS's for a plain one).
  std::vector<std::string> fsal_lines;
  std::vector<std::string> export_lines;  // lines added to the EXPORT block
};

struct ServerOptions {
  std::vector<ExportOptions> exports;
  // The LOCALIO module block is written by the harness whenever an export
  // uses LOCALIO (it is unique: do not add another in extra_config).
  // map_path empty: a fresh file under /dev/shm, so parallel servers never
  // share a map. localio_lines go inside the block (e.g. "Max_Entries = 64;").
  std::string map_path;
  // Set: Map_Directory = this, and no Map_Path: the server names its own
  // map there (host name and NFS port), as a server of the default config
  // does; map_path() then finds it once the server is ready.
  std::string map_directory;
  std::vector<std::string> localio_lines;
  std::vector<std::string> core_lines;  // inside NFS_CORE_PARAM (Ganesha 9.14's Monitoring_Port)
  std::string extra_config;        // appended at top level
  // NFS_CORE_PARAM's Bind_addr (the LOCALIO listener binds there too).
  // Only a test in a network namespace of its own binds another address
  // than loopback ("0.0.0.0" there: reachable over its veth pairs).
  std::string bind_address = "127.0.0.1";
  std::string log_level = "NIV_EVENT";
  // The libfsallocalio.so the server loads; empty: this build's.
  std::string fsal_library;
  // Exports the server must NOT load (a test of a refusal): Start() waits
  // until every other export is served and fails if one of these is.
  std::vector<uint16_t> unserved_exports;
};

// An export with this id, FSAL and access, the rest defaulted as above.
ExportOptions MakeExport(uint16_t id, Fsal fsal = Fsal::kLocalio,
                         Access access = Access::kReadWrite);
// A server with the one export `e` (default: id 1, LOCALIO over VFS, read-write).
ServerOptions OneExport(ExportOptions e = {});

// True when some export is stacked on LOCALIO.
bool UsesLocalio(const ServerOptions& options);

// Everything the config needs that Start() decides: ports and directories.
struct ConfigLayout {
  uint16_t nfs_port = 0;
  uint16_t mnt_port = 0;
  std::string plugins_dir;
  std::string recovery_root;
  std::string map_path;  // LOCALIO's Map_Path; required when UsesLocalio() without map_dir
  std::string map_dir;   // LOCALIO's Map_Directory (then no Map_Path)
};

// Renders ganesha.conf. Exports must have path and pseudo filled in. Fails on
// values Ganesha's parser would mangle (quotes, newlines, empty paths,
// duplicate export ids or pseudo paths).
Status RenderGaneshaConfig(const ServerOptions& options, const ConfigLayout& layout,
                           std::string* text);

// Fills the defaults described on ExportOptions (path under server_dir).
ExportOptions WithDefaults(ExportOptions e, const std::string& server_dir);

}  // namespace localio::harness
