#include "common/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace dm {

void init_logging(const LogOptions& options) {
  auto logger = spdlog::stderr_color_mt("datamon");
  const bool terminal = isatty(STDERR_FILENO) != 0 && !options.structured;
  if (terminal) {
    logger->set_pattern("%^%l%$: %v");
  } else {
    logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l msg=\"%v\"", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(options.level));
  spdlog::set_default_logger(logger);
}

}  // namespace dm
