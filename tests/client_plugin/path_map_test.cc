// SPDX-License-Identifier: LGPL-3.0-or-later
#include "path_map.h"

#include <gtest/gtest.h>

namespace localio::client {
namespace {

TEST(PathMap, ParsesPairsAndNormalisesBothSides) {
  PathMap map;
  ASSERT_TRUE(ParsePathMap("/srv/data=/mnt/data,//srv//b/./=/b/", &map).ok());
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map[0], (PathMapping{"/srv/data", "/mnt/data"}));
  EXPECT_EQ(map[1], (PathMapping{"/srv/b", "/b"}));
}

TEST(PathMap, EmptyTextAndEmptyPairsGiveNoMapping) {
  PathMap map{{"/x", "/y"}};
  ASSERT_TRUE(ParsePathMap("", &map).ok());
  EXPECT_TRUE(map.empty());
  ASSERT_TRUE(ParsePathMap(",,", &map).ok());
  EXPECT_TRUE(map.empty());
}

TEST(PathMap, RejectsMalformedPairsNamingThem) {
  PathMap map;
  for (const char* bad : {"/a", "a=/b", "/a=b", "/a/../b=/c", "/a=/c/..", "/a=/b,/a/=/c", "=/b"}) {
    Status st = ParsePathMap(bad, &map);
    EXPECT_EQ(st.code, -EINVAL) << bad;
    EXPECT_NE(st.message.find("path map"), std::string::npos) << st.message;
  }
  Status st = ParsePathMap("/ok=/fine,/x", &map);
  EXPECT_NE(st.message.find("\"/x\""), std::string::npos) << st.message;
}

TEST(PathMap, NormaliseRefusesRelativeDotDotAndNul) {
  std::string out;
  EXPECT_FALSE(NormaliseAbsolutePath("rel/path", &out));
  EXPECT_FALSE(NormaliseAbsolutePath("/a/../b", &out));
  EXPECT_FALSE(NormaliseAbsolutePath(std::string_view("/a\0b", 4), &out));
  ASSERT_TRUE(NormaliseAbsolutePath("///", &out));
  EXPECT_EQ(out, "/");
  ASSERT_TRUE(NormaliseAbsolutePath("/a/.../b", &out));  // "..." is a name
  EXPECT_EQ(out, "/a/.../b");
}

TEST(PathMap, LongestMatchingServerRootWinsAndTheRestIsKept) {
  const PathMap map = {{"/srv", "/mnt"}, {"/srv/data", "/data"}, {"/", "/host"}};
  EXPECT_EQ(ApplyPathMap(map, "/srv/data"), "/data");
  EXPECT_EQ(ApplyPathMap(map, "/srv/data/sub"), "/data/sub");
  EXPECT_EQ(ApplyPathMap(map, "/srv/other"), "/mnt/other");
  EXPECT_EQ(ApplyPathMap(map, "/srv"), "/mnt");
  EXPECT_EQ(ApplyPathMap(map, "/opt/x"), "/host/opt/x");
}

TEST(PathMap, APrefixThatIsNotADirectoryDoesNotMatch) {
  const PathMap map = {{"/srv/data", "/data"}};
  EXPECT_EQ(ApplyPathMap(map, "/srv/database"), "/srv/database");
  EXPECT_EQ(ApplyPathMap({}, "/srv/data"), "/srv/data");
  EXPECT_EQ(ApplyPathMap({{"/srv", "/"}}, "/srv/x"), "/x");
}

TEST(PathMap, ClientRootPrefersTheExportsOwnClientRoot) {
  MapExport exp;
  exp.server_root = "/srv/data";
  const PathMap map = {{"/srv", "/mnt"}};
  EXPECT_EQ(ClientRootOf(exp, map), "/mnt/data");
  exp.client_root = "/client/view";
  EXPECT_EQ(ClientRootOf(exp, map), "/client/view");
  exp.client_root.clear();
  exp.server_root = "/srv/../etc";
  EXPECT_EQ(ClientRootOf(exp, map), "") << "an unclean server root opens nothing";
}

// The map stores the server root as the client root of an export without
// Client_Root: that is "unset", and the client's own path map applies.
TEST(PathMap, AClientRootEqualToTheServerRootLetsThePathMapApply) {
  MapExport exp;
  exp.server_root = "/srv/data";
  exp.client_root = "/srv/data";
  EXPECT_EQ(ClientRootOf(exp, {{"/srv/data", "/mnt/data"}}), "/mnt/data");
  EXPECT_EQ(ClientRootOf(exp, {}), "/srv/data");
}

}  // namespace
}  // namespace localio::client
