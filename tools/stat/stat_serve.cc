// SPDX-License-Identifier: LGPL-3.0-or-later
#include "stat_serve.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace localio::tools {

namespace {

constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct Context {
  const std::function<std::string()>* render;
};

MHD_Result Reply(MHD_Connection* connection, unsigned status, const std::string& body,
                 const char* type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  const MHD_Result rc = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return rc;
}

MHD_Result Answer(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char* /*version*/, const char* /*upload_data*/,
                  size_t* upload_data_size, void** /*req_cls*/) {
  const auto* ctx = static_cast<const Context*>(cls);
  if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 && std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n", "text/plain");
  if (*upload_data_size != 0) return MHD_NO;
  if (std::strcmp(url, "/metrics") != 0)
    return Reply(connection, MHD_HTTP_NOT_FOUND, "localio-stat serves /metrics\n", "text/plain");
  std::string body;
  try {
    body = (*ctx->render)();
  } catch (const std::exception& e) {
    return Reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                 std::string("localio-stat: ") + e.what() + "\n", "text/plain");
  }
  return Reply(connection, MHD_HTTP_OK, body, kContentType);
}

}  // namespace

Status ParseListenAddress(const std::string& text, std::string* address, uint16_t* port) {
  std::string host, port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos)
      return Status::Error(-EINVAL, "\"" + text + "\" is not [IPV6]:PORT");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      return Status::Error(-EINVAL, "\"" + text + "\" is not ADDRESS:PORT");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  char* end = nullptr;
  errno = 0;
  const unsigned long p = std::strtoul(port_text.c_str(), &end, 10);
  if (port_text.empty() || *end != '\0' || errno != 0 || p > 65535)
    return Status::Error(-EINVAL, "\"" + port_text + "\" is not a port (0..65535)");
  in6_addr a6;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) != 1 && inet_pton(AF_INET6, host.c_str(), &a6) != 1)
    return Status::Error(-EINVAL, "\"" + host + "\" is not a numeric IPv4 or IPv6 address");
  *address = host;
  *port = static_cast<uint16_t>(p);
  return Status::Ok();
}

int ServeMetrics(const std::string& address, uint16_t port,
                 const std::function<std::string()>& render,
                 const std::function<void(uint16_t)>& ready, std::ostream& err) {
  sockaddr_storage ss{};
  auto* in4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
  if (inet_pton(AF_INET, address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
  } else if (inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    flags |= MHD_USE_IPv6;
  } else {
    err << "localio-stat: --serve: \"" << address << "\" is not a numeric address\n";
    return 1;
  }
  // Block the stop signals before the daemon's thread starts, so it inherits
  // the mask and only sigwait below takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  Context ctx{&render};
  MHD_Daemon* daemon = MHD_start_daemon(
      flags, port, nullptr, nullptr, &Answer, &ctx, MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&ss), MHD_OPTION_CONNECTION_LIMIT, 16u,
      MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (daemon == nullptr) {
    err << "localio-stat: --serve: cannot listen on " << address << ":" << port << " ("
        << std::strerror(errno) << ")\n";
    return 1;
  }
  uint16_t bound = port;
  if (const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT))
    bound = info->port;
  if (ready) ready(bound);
  int signal = 0;
  sigwait(&stop, &signal);
  MHD_stop_daemon(daemon);
  return 0;
}

}  // namespace localio::tools
