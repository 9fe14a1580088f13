/* SPDX-License-Identifier: LGPL-3.0-or-later */
// An error as a value, for every module of the project: 0 or a negative
// errno, and a sentence naming the problem (empty on success).
#ifndef LOCALIO_STATUS_H
#define LOCALIO_STATUS_H

#include <string>
#include <utility>

namespace localio {

struct Status {
  int code = 0;
  std::string message;

  bool ok() const { return code == 0; }
  static Status Ok() { return {}; }
  static Status Error(int negative_errno, std::string what) {
    return {negative_errno, std::move(what)};
  }
};

}  // namespace localio

#endif  // LOCALIO_STATUS_H
