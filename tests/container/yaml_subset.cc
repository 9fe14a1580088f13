#include "yaml_subset.h"

#include <algorithm>
#include <cerrno>

namespace localio::container {
namespace {

struct Line {
  size_t number;  // 1-based, for messages
  size_t indent;
  std::string text;  // without indentation; comments still in
};

bool Blank(const std::string& t) { return t.empty() || t[0] == '#'; }

std::string TrimRight(const std::string& t) {
  size_t end = t.find_last_not_of(' ');
  return end == std::string::npos ? "" : t.substr(0, end + 1);
}

// Removes a trailing comment (a '#' at the start or after a space, outside
// quotes) and the spaces before it.
std::string StripComment(const std::string& t) {
  char quote = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || t[i - 1] == ' ')) {
      return TrimRight(t.substr(0, i));
    }
  }
  return TrimRight(t);
}

bool IsItem(const std::string& t) { return t == "-" || t.rfind("- ", 0) == 0; }

// Position of the ':' that ends a mapping key, or npos.
size_t KeyColon(const std::string& t) {
  char quote = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if ((c == '"' || c == '\'') && i == 0) {
      quote = c;
    } else if (c == ':' && (i + 1 == t.size() || t[i + 1] == ' ')) {
      return i;
    }
  }
  return std::string::npos;
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}

  Status Document(YamlNode* out) {
    Skip();
    if (i_ >= lines_.size()) return Status::Ok();
    if (Status s = Node(lines_[i_].indent, out); !s.ok()) return s;
    Skip();
    if (i_ < lines_.size()) return Error(lines_[i_], "unexpected indentation");
    return Status::Ok();
  }

 private:
  static Status Error(const Line& l, const std::string& what) {
    return Status::Error(-EINVAL, "line " + std::to_string(l.number) + ": " + what);
  }

  void Skip() {
    while (i_ < lines_.size() && Blank(lines_[i_].text)) ++i_;
  }

  Status Node(size_t indent, YamlNode* out) {
    return IsItem(lines_[i_].text) ? Seq(indent, out) : Map(indent, out);
  }

  Status Seq(size_t indent, YamlNode* out) {
    out->kind = YamlNode::Kind::kSeq;
    for (Skip(); i_ < lines_.size() && lines_[i_].indent == indent && IsItem(lines_[i_].text);
         Skip()) {
      Line& l = lines_[i_];
      YamlNode item;
      std::string rest = l.text == "-" ? "" : l.text.substr(2);
      size_t pad = rest.find_first_not_of(' ');
      if (pad == std::string::npos || rest[pad] == '#') {
        ++i_;
        Skip();
        if (i_ >= lines_.size() || lines_[i_].indent <= indent) return Error(l, "empty item");
        if (Status s = Node(lines_[i_].indent, &item); !s.ok()) return s;
      } else if (IsItem(rest.substr(pad)) ||
                 KeyColon(StripComment(rest.substr(pad))) != std::string::npos) {
        // "- key: v" opens a mapping whose keys line up with "key".
        l.indent = indent + 2 + pad;
        l.text = rest.substr(pad);
        if (Status s = Node(l.indent, &item); !s.ok()) return s;
      } else {
        if (Status s = Scalar(l, StripComment(rest.substr(pad)), indent, &item); !s.ok()) return s;
      }
      out->seq.push_back(std::move(item));
    }
    return Status::Ok();
  }

  Status Map(size_t indent, YamlNode* out) {
    out->kind = YamlNode::Kind::kMap;
    for (Skip(); i_ < lines_.size() && lines_[i_].indent == indent && !IsItem(lines_[i_].text);
         Skip()) {
      const Line l = lines_[i_];
      const std::string t = StripComment(l.text);
      size_t colon = KeyColon(t);
      if (colon == std::string::npos) return Error(l, "expected 'key: value', got '" + t + "'");
      std::string key = t.substr(0, colon);
      if (key.size() >= 2 && (key[0] == '"' || key[0] == '\'')) key = key.substr(1, key.size() - 2);
      if (std::any_of(out->map.begin(), out->map.end(),
                      [&](const auto& kv) { return kv.first == key; })) {
        return Error(l, "duplicate key " + key);
      }
      std::string value = colon + 1 < t.size() ? t.substr(t.find_first_not_of(' ', colon + 1)) : "";
      YamlNode child;
      if (value.empty()) {
        ++i_;
        Skip();
        if (i_ < lines_.size() && (lines_[i_].indent > indent ||
                                   (lines_[i_].indent == indent && IsItem(lines_[i_].text)))) {
          if (Status s = Node(lines_[i_].indent, &child); !s.ok()) return s;
        }
      } else if (Status s = Scalar(l, value, indent, &child); !s.ok()) {
        return s;
      }
      out->map.emplace_back(key, std::move(child));
    }
    if (i_ < lines_.size() && lines_[i_].indent > indent)
      return Error(lines_[i_], "bad indentation");
    return Status::Ok();
  }

  // A value on the line of its key or dash; block scalars take the lines
  // indented deeper than `parent_indent` that follow.
  Status Scalar(const Line& l, const std::string& v, size_t parent_indent, YamlNode* out) {
    out->kind = YamlNode::Kind::kScalar;
    if (v[0] == '|' || v[0] == '>') {
      if (v != "|" && v != "|-" && v != ">" && v != ">-")
        return Error(l, "unsupported block scalar " + v);
      ++i_;
      return BlockScalar(v[0] == '>', v.size() == 2, parent_indent, out);
    }
    ++i_;
    if (v == "{}") {
      out->kind = YamlNode::Kind::kMap;
      return Status::Ok();
    }
    if (v[0] == '{' || v[0] == '&' || v[0] == '*' || v[0] == '!') {
      return Error(l, "unsupported YAML ('" + v.substr(0, 1) + "')");
    }
    if (v[0] == '[') {
      if (v.back() != ']') return Error(l, "unterminated flow sequence");
      out->kind = YamlNode::Kind::kSeq;
      std::string inner = v.substr(1, v.size() - 2);
      size_t start = 0;
      while (inner.find_first_not_of(' ', start) != std::string::npos) {
        size_t comma = inner.find(',', start);
        std::string item =
            inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t b = item.find_first_not_of(' '), e = item.find_last_not_of(' ');
        YamlNode n;
        n.scalar = Unquote(item.substr(b, e + 1 - b));
        out->seq.push_back(std::move(n));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return Status::Ok();
    }
    if ((v[0] == '"' || v[0] == '\'') && (v.size() < 2 || v.back() != v[0])) {
      return Error(l, "unterminated quote");
    }
    out->scalar = Unquote(v);
    return Status::Ok();
  }

  Status BlockScalar(bool folded, bool strip, size_t parent_indent, YamlNode* out) {
    size_t content_indent = 0;
    std::vector<std::string> body;
    while (i_ < lines_.size()) {
      const Line& l = lines_[i_];
      if (l.text.empty()) {
        body.emplace_back();
        ++i_;
        continue;
      }
      if (l.indent <= parent_indent) break;
      if (content_indent == 0) content_indent = l.indent;
      if (l.indent < content_indent)
        return Error(l, "block scalar line indented less than its first");
      body.push_back(std::string(l.indent - content_indent, ' ') + l.text);
      ++i_;
    }
    while (!body.empty() && body.back().empty()) body.pop_back();
    std::string text;
    for (size_t k = 0; k < body.size(); ++k) {
      text += body[k];
      if (k + 1 < body.size())
        text += folded && !body[k].empty() && !body[k + 1].empty() ? " " : "\n";
    }
    if (!strip && !body.empty()) text += "\n";
    out->scalar = text;
    return Status::Ok();
  }

  static std::string Unquote(const std::string& v) {
    if (v.size() >= 2 && (v[0] == '"' || v[0] == '\'') && v.back() == v[0])
      return v.substr(1, v.size() - 2);
    return v;
  }

  std::vector<Line> lines_;
  size_t i_ = 0;
};

}  // namespace

const YamlNode* YamlNode::At(const std::string& dotted) const {
  const YamlNode* node = this;
  size_t start = 0;
  while (start <= dotted.size() && !dotted.empty()) {
    size_t dot = dotted.find('.', start);
    std::string key =
        dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (node->kind != Kind::kMap) return nullptr;
    auto it = std::find_if(node->map.begin(), node->map.end(),
                           [&](const auto& kv) { return kv.first == key; });
    if (it == node->map.end()) return nullptr;
    node = &it->second;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

std::string YamlNode::Text(const std::string& dotted) const {
  const YamlNode* n = At(dotted);
  return n != nullptr && n->kind == Kind::kScalar ? n->scalar : "";
}

const std::vector<YamlNode>& YamlNode::Items(const std::string& dotted) const {
  static const std::vector<YamlNode> kNone;
  const YamlNode* n = At(dotted);
  return n != nullptr && n->kind == Kind::kSeq ? n->seq : kNone;
}

const YamlNode* YamlNode::FindItem(const std::string& dotted, const std::string& key,
                                   const std::string& value) const {
  for (const YamlNode& item : Items(dotted)) {
    if (item.Text(key) == value) return &item;
  }
  return nullptr;
}

Status ParseYaml(const std::string& text, std::vector<YamlNode>* documents) {
  documents->clear();
  std::vector<std::vector<Line>> docs(1);
  size_t number = 0, start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string raw = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (raw == "---") {
      docs.emplace_back();
      continue;
    }
    size_t indent = raw.find_first_not_of(' ');
    if (indent == std::string::npos) {
      docs.back().push_back({number, 0, ""});
      continue;
    }
    if (raw[indent] == '\t') {
      return Status::Error(-EINVAL, "line " + std::to_string(number) + ": tab in indentation");
    }
    docs.back().push_back({number, indent, raw.substr(indent)});
  }
  for (std::vector<Line>& lines : docs) {
    if (std::all_of(lines.begin(), lines.end(), [](const Line& l) { return Blank(l.text); }))
      continue;
    YamlNode doc;
    if (Status s = Parser(std::move(lines)).Document(&doc); !s.ok()) return s;
    documents->push_back(std::move(doc));
  }
  return Status::Ok();
}

}  // namespace localio::container
