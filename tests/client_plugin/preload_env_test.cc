// SPDX-License-Identifier: LGPL-3.0-or-later
// The shim's environment: valid values become the C API's config, a bad
// one is one error that names its variable and turns the bypass off.
#include "preload_env.h"

#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>

namespace localio::preload {
namespace {

class FakeEnv {
 public:
  FakeEnv& Set(const std::string& name, const std::string& value) {
    vars_[name] = value;
    return *this;
  }
  GetEnv Get() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

TEST(PreloadEnv, NothingSetGivesTheDefaults) {
  EnvConfig cfg;
  ASSERT_TRUE(ReadEnvConfig(FakeEnv().Get(), &cfg).ok());
  EXPECT_FALSE(cfg.disable);
  EXPECT_EQ(cfg.log_level, 1);
  const localio_config c = cfg.ToConfig();
  EXPECT_EQ(c.map_path, nullptr);
  EXPECT_EQ(c.path_map, nullptr);
  EXPECT_EQ(c.disable, 0);
  EXPECT_EQ(c.uid, -1);
  EXPECT_EQ(c.gid, -1);
  EXPECT_EQ(c.server_uid, -1);
  EXPECT_GT(c.probe_timeout_ms, 0);
}

TEST(PreloadEnv, LocalioServerUidNamesTheTrustedOwner) {
  EnvConfig cfg;
  ASSERT_TRUE(ReadEnvConfig(FakeEnv().Set("LOCALIO_SERVER_UID", "107").Get(), &cfg).ok());
  EXPECT_EQ(cfg.ToConfig().server_uid, 107);
}

TEST(PreloadEnv, ValidValuesReachTheConfig) {
  FakeEnv env;
  env.Set("LOCALIO_MAP", "/dev/shm/x/map")
      .Set("LOCALIO_PATH_MAP", "/srv/data=/mnt/data")
      .Set("LOCALIO_DISABLE", "1")
      .Set("LOCALIO_LOG", "3");
  EnvConfig cfg;
  ASSERT_TRUE(ReadEnvConfig(env.Get(), &cfg).ok());
  const localio_config c = cfg.ToConfig();
  EXPECT_STREQ(c.map_path, "/dev/shm/x/map");
  EXPECT_STREQ(c.path_map, "/srv/data=/mnt/data");
  EXPECT_EQ(c.disable, 1);
  EXPECT_EQ(c.log_level, 3);
}

TEST(PreloadEnv, DisableZeroKeepsTheBypass) {
  EnvConfig cfg;
  ASSERT_TRUE(ReadEnvConfig(FakeEnv().Set("LOCALIO_DISABLE", "0").Get(), &cfg).ok());
  EXPECT_FALSE(cfg.disable);
}

struct BadCase {
  const char* name;
  const char* value;
};
// The ctest entries' names (gtest_discover_tests appends the printed value;
// by default the struct's bytes, pointers that change with every build).
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name << '=' << c.value; }

class PreloadEnvBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(PreloadEnvBad, IsOneErrorNamingTheVariableAndDisables) {
  const BadCase& bad = GetParam();
  EnvConfig cfg;
  const Status st = ReadEnvConfig(FakeEnv().Set(bad.name, bad.value).Get(), &cfg);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code, -EINVAL);
  EXPECT_EQ(st.message.rfind(bad.name, 0), 0u) << st.message;
  EXPECT_EQ(st.message.find('\n'), std::string::npos) << st.message;
  EXPECT_TRUE(cfg.disable);
}

INSTANTIATE_TEST_SUITE_P(
    Values, PreloadEnvBad,
    ::testing::Values(BadCase{"LOCALIO_DISABLE", "yes"}, BadCase{"LOCALIO_DISABLE", "2"},
                      BadCase{"LOCALIO_DISABLE", ""}, BadCase{"LOCALIO_LOG", "4"},
                      BadCase{"LOCALIO_LOG", "-1"}, BadCase{"LOCALIO_LOG", "10"},
                      BadCase{"LOCALIO_MAP", ""}, BadCase{"LOCALIO_PATH_MAP", "relative=/x"},
                      BadCase{"LOCALIO_PATH_MAP", "/a"}, BadCase{"LOCALIO_PATH_MAP", "/a=/b/../c"},
                      BadCase{"LOCALIO_SERVER_UID", "nobody"},
                      BadCase{"LOCALIO_SERVER_UID", "-1"}));

}  // namespace
}  // namespace localio::preload
