// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-stat: shows a LOCALIO map (see stat_cli.h).
#include <iostream>
#include <string>
#include <vector>

#include "stat_cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return localio::tools::RunLocalioStat(args, std::cout, std::cerr);
}
