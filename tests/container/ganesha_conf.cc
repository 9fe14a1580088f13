// SPDX-License-Identifier: LGPL-3.0-or-later
#include "ganesha_conf.h"

#include <strings.h>

#include <cctype>
#include <cerrno>

namespace localio::container {
namespace {

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Status ParseBody(ConfBlock* block, bool top) {
    for (;;) {
      SkipSpaceAndComments();
      if (pos_ >= text_.size()) {
        return top ? Status::Ok() : Error("end of file inside block " + block->name);
      }
      if (text_[pos_] == '}') {
        if (top) return Error("'}' without a block");
        ++pos_;
        return Status::Ok();
      }
      std::string name = Word();
      if (name.empty()) return Error(std::string("expected a name, got '") + text_[pos_] + "'");
      SkipSpaceAndComments();
      if (pos_ < text_.size() && text_[pos_] == '{') {
        ++pos_;
        ConfBlock child;
        child.name = name;
        if (Status s = ParseBody(&child, false); !s.ok()) return s;
        block->blocks.push_back(std::move(child));
      } else if (pos_ < text_.size() && text_[pos_] == '=') {
        ++pos_;
        std::string value;
        if (Status s = Value(&value); !s.ok()) return s;
        block->statements.push_back({name, value});
      } else {
        return Error("expected '{' or '=' after " + name);
      }
    }
  }

 private:
  Status Error(const std::string& what) const {
    size_t line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    return Status::Error(-EINVAL, "line " + std::to_string(line) + ": " + what);
  }

  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      if (std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (text_[pos_] == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string Word() {
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }

  // Everything up to ';' (quoted strings may hold ';' and '#').
  Status Value(std::string* out) {
    std::string v;
    while (pos_ < text_.size() && text_[pos_] != ';') {
      char c = text_[pos_];
      if (c == '"' || c == '\'') {
        size_t end = text_.find(c, pos_ + 1);
        if (end == std::string::npos) return Error("unterminated quote");
        v += text_.substr(pos_, end + 1 - pos_);
        pos_ = end + 1;
        continue;
      }
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      if (c == '{' || c == '}' || c == '\n') return Error("missing ';' after a value");
      v += c;
      ++pos_;
    }
    if (pos_ >= text_.size()) return Error("missing ';' at end of file");
    ++pos_;
    size_t b = v.find_first_not_of(" \t");
    size_t e = v.find_last_not_of(" \t");
    *out = b == std::string::npos ? "" : v.substr(b, e + 1 - b);
    return Status::Ok();
  }

  const std::string& text_;
  size_t pos_ = 0;
};

void Render(const ConfBlock& block, int depth, std::string* out) {
  const std::string indent(static_cast<size_t>(depth) * 4, ' ');
  for (const auto& s : block.statements) *out += indent + s.key + " = " + s.value + ";\n";
  for (const ConfBlock& b : block.blocks) {
    *out += indent + b.name + " {\n";
    Render(b, depth + 1, out);
    *out += indent + "}\n";
  }
}

bool SameName(const std::string& a, const std::string& b) {
  return strcasecmp(a.c_str(), b.c_str()) == 0;
}

}  // namespace

std::string ConfBlock::Get(const std::string& key) const {
  for (const auto& s : statements) {
    if (!SameName(s.key, key)) continue;
    const std::string& v = s.value;
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      return v.substr(1, v.size() - 2);
    }
    return v;
  }
  return "";
}

void ConfBlock::Set(const std::string& key, const std::string& value) {
  std::erase_if(statements, [&](const Statement& s) { return SameName(s.key, key); });
  statements.push_back({key, value});
}

std::vector<ConfBlock*> ConfBlock::Blocks(const std::string& want) {
  std::vector<ConfBlock*> found;
  for (ConfBlock& b : blocks) {
    if (SameName(b.name, want)) found.push_back(&b);
  }
  return found;
}

ConfBlock& ConfBlock::Block(const std::string& want) {
  for (ConfBlock& b : blocks) {
    if (SameName(b.name, want)) return b;
  }
  blocks.push_back(ConfBlock{want, {}, {}});
  return blocks.back();
}

Status ParseGaneshaConf(const std::string& text, ConfBlock* out) {
  *out = ConfBlock{};
  return Parser(text).ParseBody(out, true);
}

std::string RenderGaneshaConf(const ConfBlock& root) {
  std::string out;
  Render(root, 0, &out);
  return out;
}

}  // namespace localio::container
