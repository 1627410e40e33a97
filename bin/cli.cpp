#include "bin/cli.h"

namespace dm::cli {

config::Config GlobalOptions::load() const {
  auto o = overrides;
  if (!log_level.empty()) o.log_level = log_level;
  return config::load_config(o, config::process_env());
}

void add_optional(CLI::App& app, const std::string& name, std::optional<std::string>& target, const std::string& help) {
  app.add_option_function<std::string>(
      name, [&target](const std::string& v) { target = v; }, help);
}

void add_listing_tuning_flags(CLI::App& cmd) {
  cmd.add_option_function<int>(
      "--batch-size", [](int) {}, "accepted for compatibility with Go (no effect here)");
  cmd.add_option_function<int>(
      "--concurrency-factor", [](int) {}, "accepted for compatibility with Go (no effect here)");
}

}  // namespace dm::cli
