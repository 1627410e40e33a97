// Durations as the sidecar configs and `datamon wrap --timeout` spell them.
//
// "90" (seconds, as the old scripts' sleepTimeout and pollInterval), "250ms", "30s", "5m",
// "2h", and sums such as "1h30m". Anything else is an InvalidArgument error naming `what`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace dm::sidecar {

std::chrono::milliseconds parse_duration(std::string_view text, const std::string& what);

// "1.5s", "2m", "250ms": for messages.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace dm::sidecar
