// Logging set-up: one spdlog logger for the whole program.
//
// Lines go to stderr. On a terminal they are short and human; otherwise each line is a
// structured record "ts=<RFC3339> level=<lvl> msg=<text>" that log collectors can parse.
// Code logs with spdlog::info/warn/error directly, with key=value pairs in the message.
// Never log a secret: stores and auth pass only redacted descriptions here.
#pragma once

#include <string>

namespace dm {

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool structured = false;     // force structured lines even on a terminal
};

void init_logging(const LogOptions& options);

}  // namespace dm
