#include "bin/cli.h"

#include <cstdint>

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

void accept_go_bool_flag(CLI::App& cmd, const std::string& name, const std::string& why) {
  cmd.add_flag_function(
      name, [](std::int64_t) {}, "accepted for compatibility with Go, no effect: " + why);
}

void accept_go_string_flag(CLI::App& cmd, const std::string& name, const std::string& why) {
  cmd.add_option_function<std::string>(
      name, [](const std::string&) {}, "accepted for compatibility with Go, no effect: " + why);
}

void add_go_metrics_flags(CLI::App& app) {
  const std::string why = "Go sends usage metrics to InfluxDB; the mount serves Prometheus metrics (--metrics-addr)";
  accept_go_bool_flag(app, "--metrics", why);
  accept_go_string_flag(app, "--metrics-url", why);
  accept_go_string_flag(app, "--metrics-user", why);
  accept_go_string_flag(app, "--metrics-password", why);
}

}  // namespace dm::cli
