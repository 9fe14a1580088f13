// SPDX-License-Identifier: LGPL-3.0-or-later
#include "path_map.h"

#include <cerrno>

#include "localio/path_rules.h"

namespace localio::client {

bool NormaliseAbsolutePath(std::string_view path, std::string* out) {
  if (path.empty() || path.front() != '/' ||
      path.find('\0') != std::string_view::npos)
    return false;
  std::string norm;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const size_t end = std::min(path.find('/', i), path.size());
    const std::string_view part = path.substr(i, end - i);
    i = end;
    const localio_dots dots = localio_dots_of(part.data(), part.size());
    if (part.empty() || dots == LOCALIO_DOT) continue;
    if (dots == LOCALIO_DOTDOT) return false;
    norm += '/';
    norm += part;
  }
  *out = norm.empty() ? "/" : norm;
  return true;
}

Status ParsePathMap(std::string_view text, PathMap* out) {
  PathMap map;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(',', i), text.size());
    const std::string_view pair = text.substr(i, end - i);
    i = end + 1;
    if (pair.empty()) continue;
    const std::string shown(pair);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos)
      return Status::Error(-EINVAL, "path map: \"" + shown +
                                        "\" is not server_root=client_root");
    PathMapping m;
    if (!NormaliseAbsolutePath(pair.substr(0, eq), &m.server_root) ||
        !NormaliseAbsolutePath(pair.substr(eq + 1), &m.client_root))
      return Status::Error(-EINVAL, "path map: \"" + shown +
                                        "\" needs two absolute paths without \"..\"");
    for (const PathMapping& seen : map)
      if (seen.server_root == m.server_root)
        return Status::Error(-EINVAL, "path map: server root " + m.server_root +
                                          " is mapped twice");
    map.push_back(std::move(m));
  }
  *out = std::move(map);
  return Status::Ok();
}

namespace {

// True when `root` is `path` or one of its parent directories.
bool IsUnder(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path.compare(0, root.size(), root) == 0 &&
         (path.size() == root.size() || path[root.size()] == '/');
}

}  // namespace

std::string ApplyPathMap(const PathMap& map, const std::string& server_root) {
  const PathMapping* best = nullptr;
  for (const PathMapping& m : map)
    if (IsUnder(server_root, m.server_root) &&
        (best == nullptr || m.server_root.size() > best->server_root.size()))
      best = &m;
  if (best == nullptr) return server_root;
  const std::string rest =
      best->server_root == "/" ? server_root : server_root.substr(best->server_root.size());
  if (rest.empty()) return best->client_root;
  if (best->client_root == "/") return rest.front() == '/' ? rest : "/" + rest;
  return best->client_root + (rest.front() == '/' ? rest : "/" + rest);
}

std::string ClientRootOf(const MapExport& exp, const PathMap& map) {
  // The map writer stores the server root as the client root when the
  // export sets no Client_Root, so "same as the server's" means unset.
  if (!exp.client_root.empty() && exp.client_root != exp.server_root) return exp.client_root;
  std::string server_root;
  if (!NormaliseAbsolutePath(exp.server_root, &server_root)) return {};
  return ApplyPathMap(map, server_root);
}

}  // namespace localio::client
