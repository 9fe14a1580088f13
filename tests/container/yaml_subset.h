// A reader for the YAML the deployment files use, so tests can check their
// structure without PyYAML or a YAML library: block mappings and sequences
// (including "- key: value" items), plain and quoted scalars, flow
// sequences of scalars ("[a, b]"), the empty flow mapping "{}", literal and
// folded block scalars ("|", "|-", ">", ">-"), comments, and several
// documents split by "---". Anything else (tabs in indentation, anchors,
// non-empty flow mappings, duplicate keys, bad indentation) is an error
// naming the line, so a malformed file fails its test.
#ifndef LOCALIO_TESTS_CONTAINER_YAML_SUBSET_H
#define LOCALIO_TESTS_CONTAINER_YAML_SUBSET_H

#include <string>
#include <utility>
#include <vector>

#include "localio/status.h"

namespace localio::container {

struct YamlNode {
  enum class Kind { kScalar, kMap, kSeq };
  Kind kind = Kind::kScalar;
  std::string scalar;  // quotes removed; block scalars keep their newlines
  std::vector<std::pair<std::string, YamlNode>> map;
  std::vector<YamlNode> seq;

  // The value at a dotted path of map keys ("spec.securityContext"), or
  // nullptr if some key is missing or a node on the way is not a map.
  const YamlNode* At(const std::string& dotted) const;
  // The scalar at `dotted`, "" when absent or not a scalar.
  std::string Text(const std::string& dotted) const;
  // The items of the sequence at `dotted` (empty when absent).
  const std::vector<YamlNode>& Items(const std::string& dotted) const;
  // The first item of the sequence at `dotted` whose `key` is `value`.
  const YamlNode* FindItem(const std::string& dotted, const std::string& key,
                           const std::string& value) const;
};

// Parses every document of `text`.
Status ParseYaml(const std::string& text, std::vector<YamlNode>* documents);

}  // namespace localio::container

#endif  // LOCALIO_TESTS_CONTAINER_YAML_SUBSET_H
