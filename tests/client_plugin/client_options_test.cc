// SPDX-License-Identifier: LGPL-3.0-or-later
#include "client_options.h"

#include <gtest/gtest.h>

namespace localio::client {
namespace {

localio_config Config() {
  localio_config cfg{};
  cfg.uid = -1;
  cfg.gid = -1;
  cfg.log_level = 1;
  cfg.probe_timeout_ms = 200;
  cfg.server_uid = -1;
  return cfg;
}

TEST(ClientOptions, DefaultsComeFromTheEnvironment) {
  ClientOptions o;
  const localio_config cfg = Config();
  ASSERT_TRUE(ResolveOptions(&cfg, {}, &o).ok());
  EXPECT_EQ(o.map_path, LOCALIO_DEFAULT_MAP_DIR);
  EXPECT_FALSE(o.disable);
  ASSERT_TRUE(ResolveOptions(&cfg, {"/dev/shm/other"}, &o).ok());
  EXPECT_EQ(o.map_path, "/dev/shm/other");
  ASSERT_TRUE(ResolveOptions(nullptr, {""}, &o).ok());
  EXPECT_EQ(o.map_path, LOCALIO_DEFAULT_MAP_DIR);
}

// The identity local I/O acts as is the one the context's RPCs carry
// (rpc_credential.h): the config's uid and gid choose nothing, whatever
// they hold.
TEST(ClientOptions, TheConfigsUidAndGidAreIgnored) {
  for (long id : {-1L, -2L, 0L, 1000L, 1L << 40}) {
    localio_config cfg = Config();
    cfg.uid = id;
    cfg.gid = id;
    ClientOptions o;
    EXPECT_TRUE(ResolveOptions(&cfg, {}, &o).ok()) << id;
    EXPECT_FALSE(o.disable) << id;
  }
}

TEST(ClientOptions, TheServerUidIsRootUnlessTheConfigOrTheEnvironmentSaysOtherwise) {
  const localio_config cfg = Config();
  ClientOptions o;
  OptionDefaults defaults;
  ASSERT_TRUE(ResolveOptions(&cfg, defaults, &o).ok());
  EXPECT_EQ(o.server_uid, LOCALIO_DEFAULT_SERVER_UID);
  defaults.env_server_uid = "107";
  ASSERT_TRUE(ResolveOptions(&cfg, defaults, &o).ok());
  EXPECT_EQ(o.server_uid, 107u);
  ASSERT_TRUE(ResolveOptions(nullptr, defaults, &o).ok());
  EXPECT_EQ(o.server_uid, 107u);
  localio_config explicit_uid = Config();
  explicit_uid.server_uid = 0;
  ASSERT_TRUE(ResolveOptions(&explicit_uid, defaults, &o).ok());
  EXPECT_EQ(o.server_uid, 0u);
}

TEST(ClientOptions, ABadLocalioServerUidIsOneErrorNamingIt) {
  for (const char* bad : {"", "-1", "root", "4294967295", "12x", "99999999999"}) {
    OptionDefaults defaults;
    defaults.env_server_uid = bad;
    const localio_config cfg = Config();
    ClientOptions o;
    const Status st = ResolveOptions(&cfg, defaults, &o);
    EXPECT_EQ(st.code, -EINVAL) << bad;
    EXPECT_NE(st.message.find("LOCALIO_SERVER_UID"), std::string::npos) << st.message;
    EXPECT_TRUE(o.disable) << bad;
  }
}

TEST(ClientOptions, ParseIdTakesDecimalIdsBelowTheNoIdValue) {
  uint32_t id = 7;
  EXPECT_TRUE(ParseId("0", &id));
  EXPECT_EQ(id, 0u);
  EXPECT_TRUE(ParseId("4294967294", &id));
  EXPECT_EQ(id, 4294967294u);
  for (const char* bad : {"", " 1", "1 ", "+1", "-0", "0x10", "4294967295", "10000000000"})
    EXPECT_FALSE(ParseId(bad, &id)) << bad;
}

TEST(ClientOptions, ExplicitValuesWin) {
  localio_config cfg = Config();
  cfg.map_path = "/x/map";
  cfg.path_map = "/srv=/mnt";
  cfg.probe_timeout_ms = 0;  // the default
  cfg.disable = 1;
  ClientOptions o;
  ASSERT_TRUE(ResolveOptions(&cfg, {"/env/map"}, &o).ok());
  EXPECT_EQ(o.map_path, "/x/map");
  ASSERT_EQ(o.path_map.size(), 1u);
  EXPECT_EQ(o.probe_timeout.count(), LOCALIO_DEFAULT_PROBE_TIMEOUT_MS);
  EXPECT_TRUE(o.disable);
}

TEST(ClientOptions, EachBadValueIsOneErrorNamingItAndTurnsTheBypassOff) {
  struct Case {
    const char* field;
    void (*set)(localio_config*);
  };
  const Case cases[] = {
      {"log_level", [](localio_config* c) { c->log_level = 7; }},
      {"map_path", [](localio_config* c) { c->map_path = ""; }},
      {"path map", [](localio_config* c) { c->path_map = "relative=/x"; }},
      {"server_uid", [](localio_config* c) { c->server_uid = -7; }},
      {"probe_timeout_ms", [](localio_config* c) { c->probe_timeout_ms = -5; }},
  };
  for (const Case& c : cases) {
    localio_config cfg = Config();
    c.set(&cfg);
    ClientOptions o;
    const Status st = ResolveOptions(&cfg, {}, &o);
    EXPECT_EQ(st.code, -EINVAL) << c.field;
    EXPECT_NE(st.message.find(c.field), std::string::npos) << st.message;
    EXPECT_TRUE(o.disable) << c.field;
  }
}

}  // namespace
}  // namespace localio::client
