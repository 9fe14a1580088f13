// The sidecar deployment files in config/ hold together without Docker or
// Kubernetes: docker-compose.yml and k8s-pod.yaml parse, give the server
// and the client the same export volume (at the paths ganesha-sidecar.conf
// and LOCALIO_PATH_MAP name), the same memory volume for the map (at
// Map_Path), one network namespace, the shim and its variables, and the
// group that Map_Group names; the pod's ConfigMap is ganesha-sidecar.conf
// verbatim; the Dockerfile builds what they run. The small YAML and
// ganesha.conf readers these checks use are tested first.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ganesha_conf.h"
#include "yaml_subset.h"

namespace localio::container {
namespace {

std::string ReadConfigFile(const std::string& name) {
  std::ifstream in(std::string(LOCALIO_CONFIG_DIR) + "/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << "cannot read config/" << name;
  return s.str();
}

std::vector<YamlNode> ParseYamlFile(const std::string& name) {
  std::vector<YamlNode> docs;
  Status s = ParseYaml(ReadConfigFile(name), &docs);
  EXPECT_TRUE(s.ok()) << "config/" << name << ": " << s.message;
  return docs;
}

bool Contains(const std::vector<YamlNode>& items, const std::string& value) {
  for (const YamlNode& n : items) {
    if (n.scalar == value) return true;
  }
  return false;
}

TEST(YamlSubset, ReadsNestedMapsSequencesAndBlockScalars) {
  const std::string text =
      "# comment\n"
      "a:\n"
      "  b: \"quoted # not a comment\"  # a comment\n"
      "  list:\n"
      "    - name: x\n"
      "      value: '1'\n"
      "    - plain\n"
      "  flow: [A, \"B\"]\n"
      "  empty: {}\n"
      "  lit: |\n"
      "    line one\n"
      "\n"
      "      indented\n"
      "  fold: >-\n"
      "    one\n"
      "    two\n"
      "same:\n"
      "- item\n"
      "---\n"
      "second: doc\n";
  std::vector<YamlNode> docs;
  Status s = ParseYaml(text, &docs);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(docs.size(), 2u);
  const YamlNode& d = docs[0];
  EXPECT_EQ(d.Text("a.b"), "quoted # not a comment");
  ASSERT_EQ(d.Items("a.list").size(), 2u);
  EXPECT_EQ(d.FindItem("a.list", "name", "x")->Text("value"), "1");
  EXPECT_EQ(d.Items("a.list")[1].scalar, "plain");
  ASSERT_EQ(d.Items("a.flow").size(), 2u);
  EXPECT_EQ(d.Items("a.flow")[1].scalar, "B");
  EXPECT_EQ(d.At("a.empty")->kind, YamlNode::Kind::kMap);
  EXPECT_EQ(d.Text("a.lit"), "line one\n\n  indented\n");
  EXPECT_EQ(d.Text("a.fold"), "one two");
  EXPECT_EQ(d.Items("same")[0].scalar, "item");
  EXPECT_EQ(docs[1].Text("second"), "doc");
  EXPECT_EQ(d.At("a.missing"), nullptr);
}

TEST(YamlSubset, RejectsWhatItCannotRead) {
  for (const char* bad : {"a:\n\tb: 1\n", "a: 1\na: 2\n", "a:\n  b: 1\n    c: 2\n", "a: {b: 1}\n",
                          "a: &anchor 1\n", "a: \"open\n", "just text\n"}) {
    std::vector<YamlNode> docs;
    EXPECT_FALSE(ParseYaml(bad, &docs).ok()) << bad;
  }
}

TEST(GaneshaConf, ParsesRewritesAndRendersBlocks) {
  ConfBlock root;
  Status s = ParseGaneshaConf(
      "# c\nNFS_CORE_PARAM { NFS_Port = 2049; Protocols = 3, 4; }\n"
      "EXPORT {\n  Export_Id = 1; Path = \"/a;b\"; # x\n  FSAL { Name = VFS; }\n}\n",
      &root);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(root.Blocks("export").size(), 1u);
  const ConfBlock& e = *root.Blocks("EXPORT")[0];
  EXPECT_EQ(e.Get("path"), "/a;b");
  EXPECT_EQ(e.Blocks("FSAL")[0]->Get("Name"), "VFS");
  root.Block("nfs_core_param").Set("nfs_port", "12");
  EXPECT_EQ(root.Block("NFS_CORE_PARAM").Get("NFS_Port"), "12");
  EXPECT_EQ(root.Block("NFS_CORE_PARAM").Get("Protocols"), "3, 4");
  ConfBlock again;
  ASSERT_TRUE(ParseGaneshaConf(RenderGaneshaConf(root), &again).ok());
  EXPECT_EQ(RenderGaneshaConf(again), RenderGaneshaConf(root));
  for (const char* bad : {"A { B = 1 }", "A { B = 1;", "}", "A B;", "A = \"x;"}) {
    EXPECT_FALSE(ParseGaneshaConf(bad, &root).ok()) << bad;
  }
}

// What the deployment files must agree on, read from ganesha-sidecar.conf.
struct Sidecar {
  std::string map_path, map_group, export_path, bind_addr, map_dir;
};

Sidecar ReadSidecar() {
  ConfBlock root;
  Status s = ParseGaneshaConf(ReadConfigFile("ganesha-sidecar.conf"), &root);
  EXPECT_TRUE(s.ok()) << s.message;
  Sidecar c;
  c.map_path = root.Block("LOCALIO").Get("Map_Path");
  c.map_group = root.Block("LOCALIO").Get("Map_Group");
  c.bind_addr = root.Block("NFS_CORE_PARAM").Get("Bind_addr");
  if (!root.Blocks("EXPORT").empty()) c.export_path = root.Blocks("EXPORT")[0]->Get("Path");
  c.map_dir = c.map_path.substr(0, c.map_path.rfind('/'));
  return c;
}

constexpr char kClientRoot[] = "/mnt/data";
constexpr char kShim[] = "/usr/local/lib/liblocalio_preload.so";
constexpr char kLocalioGid[] = "2000";

TEST(SidecarConf, NamesWhatTheContainersShare) {
  const Sidecar c = ReadSidecar();
  EXPECT_EQ(c.export_path, "/srv/data");
  EXPECT_EQ(c.map_path, "/run/localio/map");
  EXPECT_EQ(c.map_group, "localio");
  EXPECT_EQ(c.bind_addr, "127.0.0.1") << "client and server share one network namespace";
}

TEST(DockerCompose, SharesTheExportTheMapAndTheNetwork) {
  const std::vector<YamlNode> docs = ParseYamlFile("docker-compose.yml");
  ASSERT_EQ(docs.size(), 1u);
  const YamlNode& d = docs[0];
  const Sidecar c = ReadSidecar();
  const YamlNode* server = d.At("services.ganesha");
  const YamlNode* client = d.At("services.client");
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);

  EXPECT_TRUE(Contains(server->Items("volumes"), "data:" + c.export_path));
  EXPECT_TRUE(Contains(server->Items("volumes"), "localio-map:" + c.map_dir));
  EXPECT_TRUE(
      Contains(server->Items("volumes"), "./ganesha-sidecar.conf:/etc/ganesha/ganesha.conf:ro"));
  EXPECT_TRUE(Contains(server->Items("cap_add"), "DAC_READ_SEARCH"));
  const std::string command =
      server->Items("command").empty() ? "" : server->Items("command").back().scalar;
  EXPECT_NE(command.find("rpcbind"), std::string::npos) << command;
  EXPECT_NE(command.find("ganesha.nfsd -F"), std::string::npos) << command;
  EXPECT_LT(command.find("rpcbind"), command.find("ganesha.nfsd"))
      << "ganesha.nfsd needs rpcbind first";

  EXPECT_EQ(client->Text("network_mode"), "service:ganesha");
  EXPECT_TRUE(Contains(client->Items("volumes"), std::string("data:") + kClientRoot));
  EXPECT_TRUE(Contains(client->Items("volumes"), "localio-map:" + c.map_dir));
  EXPECT_EQ(client->Text("user"), std::string("1000:") + kLocalioGid);
  EXPECT_EQ(client->Text("environment.LD_PRELOAD"), kShim);
  EXPECT_EQ(client->Text("environment.LOCALIO_MAP"), c.map_path);
  EXPECT_EQ(client->Text("environment.LOCALIO_PATH_MAP"), c.export_path + "=" + kClientRoot);

  EXPECT_EQ(d.At("volumes.data")->kind, YamlNode::Kind::kMap);
  EXPECT_EQ(d.Text("volumes.localio-map.driver_opts.type"), "tmpfs");
  EXPECT_EQ(d.Text("volumes.localio-map.driver_opts.device"), "tmpfs");
  for (const char* service : {"ganesha", "client"}) {
    EXPECT_EQ(d.Text(std::string("services.") + service + ".build.dockerfile"),
              "config/Dockerfile");
    EXPECT_EQ(d.Text(std::string("services.") + service + ".build.target"), service);
  }
}

const YamlNode* Mount(const YamlNode& container, const std::string& volume) {
  return container.FindItem("volumeMounts", "name", volume);
}

TEST(KubernetesPod, SharesTheExportTheMapAndTheConfig) {
  const std::vector<YamlNode> docs = ParseYamlFile("k8s-pod.yaml");
  ASSERT_EQ(docs.size(), 2u);
  const YamlNode& config_map = docs[0];
  const YamlNode& pod = docs[1];
  const Sidecar c = ReadSidecar();
  ASSERT_EQ(config_map.Text("kind"), "ConfigMap");
  ASSERT_EQ(pod.Text("kind"), "Pod");
  const YamlNode* data = config_map.At("data");
  ASSERT_NE(data, nullptr);
  ASSERT_EQ(data->map.size(), 1u);
  EXPECT_EQ(data->map[0].first, "ganesha.conf");
  EXPECT_EQ(data->map[0].second.scalar, ReadConfigFile("ganesha-sidecar.conf"))
      << "the pod's ConfigMap must be config/ganesha-sidecar.conf verbatim";

  EXPECT_EQ(pod.Text("spec.securityContext.fsGroup"), kLocalioGid);
  EXPECT_EQ(pod.At("spec.hostNetwork"), nullptr);
  const YamlNode* map_volume = pod.FindItem("spec.volumes", "name", "localio-map");
  ASSERT_NE(map_volume, nullptr);
  EXPECT_EQ(map_volume->Text("emptyDir.medium"), "Memory");
  const YamlNode* config_volume = pod.FindItem("spec.volumes", "name", "ganesha-config");
  ASSERT_NE(config_volume, nullptr);
  EXPECT_EQ(config_volume->Text("configMap.name"), config_map.Text("metadata.name"));
  ASSERT_NE(pod.FindItem("spec.volumes", "name", "data"), nullptr);

  const YamlNode* server = pod.FindItem("spec.containers", "name", "ganesha");
  const YamlNode* client = pod.FindItem("spec.containers", "name", "client");
  ASSERT_NE(server, nullptr);
  ASSERT_NE(client, nullptr);
  ASSERT_NE(Mount(*server, "data"), nullptr);
  EXPECT_EQ(Mount(*server, "data")->Text("mountPath"), c.export_path);
  ASSERT_NE(Mount(*server, "localio-map"), nullptr);
  EXPECT_EQ(Mount(*server, "localio-map")->Text("mountPath"), c.map_dir);
  ASSERT_NE(Mount(*server, "ganesha-config"), nullptr);
  EXPECT_EQ(Mount(*server, "ganesha-config")->Text("mountPath"), "/etc/ganesha");
  EXPECT_TRUE(Contains(server->Items("securityContext.capabilities.add"), "DAC_READ_SEARCH"));
  const std::string command =
      server->Items("command").empty() ? "" : server->Items("command").back().scalar;
  EXPECT_LT(command.find("rpcbind"), command.find("ganesha.nfsd -F")) << command;

  ASSERT_NE(Mount(*client, "data"), nullptr);
  EXPECT_EQ(Mount(*client, "data")->Text("mountPath"), kClientRoot);
  ASSERT_NE(Mount(*client, "localio-map"), nullptr);
  EXPECT_EQ(Mount(*client, "localio-map")->Text("mountPath"), c.map_dir);
  EXPECT_EQ(client->Text("securityContext.runAsGroup"), kLocalioGid);
  auto env = [&](const std::string& name) {
    const YamlNode* item = client->FindItem("env", "name", name);
    return item != nullptr ? item->Text("value") : std::string("(unset)");
  };
  EXPECT_EQ(env("LD_PRELOAD"), kShim);
  EXPECT_EQ(env("LOCALIO_MAP"), c.map_path);
  EXPECT_EQ(env("LOCALIO_PATH_MAP"), c.export_path + "=" + kClientRoot);
}

TEST(Dockerfile, BuildsTheImagesTheDeploymentsRun) {
  const std::string text = ReadConfigFile("Dockerfile");
  for (const char* stage : {"AS build", "AS ganesha", "AS client"}) {
    EXPECT_NE(text.find(stage), std::string::npos) << stage;
  }
  size_t first = text.find(std::string("groupadd -g ") + kLocalioGid + " localio");
  ASSERT_NE(first, std::string::npos) << "both images need group localio as gid " << kLocalioGid;
  EXPECT_NE(text.find(std::string("groupadd -g ") + kLocalioGid + " localio", first + 1),
            std::string::npos);
  EXPECT_NE(text.find("COPY config/ganesha-sidecar.conf /etc/ganesha/ganesha.conf"),
            std::string::npos);
  // The shim is copied out of the build tree where CMake puts it.
  const std::string built = LOCALIO_PRELOAD_LIBRARY;
  const std::string binary_dir = std::string(LOCALIO_BINARY_DIR) + "/";
  ASSERT_EQ(built.rfind(binary_dir, 0), 0u) << built;
  const std::string relative = built.substr(binary_dir.size());
  EXPECT_NE(text.find("/build/" + relative), std::string::npos) << relative;
  EXPECT_NE(text.find(kShim), std::string::npos);
  EXPECT_NE(text.find("/usr/lib/x86_64-linux-gnu/ganesha/libfsallocalio.so"), std::string::npos);
}

}  // namespace
}  // namespace localio::container
