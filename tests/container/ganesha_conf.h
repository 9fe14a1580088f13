/* SPDX-License-Identifier: LGPL-3.0-or-later */
// The shape of a ganesha.conf as tests need it: blocks of `Key = value;`
// statements and nested blocks, comments dropped. Enough to read the
// shipped examples and to rewrite host-specific values (ports, paths,
// Map_Path) before starting a real server with them; Ganesha's own parser
// (ganesha.nfsd reading the rewritten file) stays the judge of everything
// else. Ganesha's parser cannot do this part: it only reads (no API writes
// config text back), and its parse tree is private to it (analyse.h, not
// installed, laid out differently in 4.3 and 6.5). Keys and block names
// compare case-insensitively, as Ganesha's do.
#ifndef LOCALIO_TESTS_CONTAINER_GANESHA_CONF_H
#define LOCALIO_TESTS_CONTAINER_GANESHA_CONF_H

#include <string>
#include <vector>

#include "localio/status.h"

namespace localio::container {

struct ConfBlock {
  std::string name;  // "" for the file itself
  struct Statement {
    std::string key;
    std::string value;  // the text between '=' and ';', trimmed, quotes kept
  };
  std::vector<Statement> statements;
  std::vector<ConfBlock> blocks;

  // The value of `key` here ("" when absent), quotes removed.
  std::string Get(const std::string& key) const;
  // Replaces every `key` here with one `key = value`, or adds it.
  void Set(const std::string& key, const std::string& value);
  // Direct sub-blocks named `name`.
  std::vector<ConfBlock*> Blocks(const std::string& name);
  // The first sub-block named `name`, created at the end if missing.
  ConfBlock& Block(const std::string& name);
};

// Parses `text`. An error names the line and what was expected.
Status ParseGaneshaConf(const std::string& text, ConfBlock* out);

// Writes the tree back as ganesha.conf text (one statement per line).
std::string RenderGaneshaConf(const ConfBlock& root);

}  // namespace localio::container

#endif  // LOCALIO_TESTS_CONTAINER_GANESHA_CONF_H
