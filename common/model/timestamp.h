// Timestamp: an instant with nanoseconds and the UTC offset it was written with, formatted as
// Go's time.RFC3339Nano (trailing zero nanoseconds trimmed, "Z" for UTC) and parsed leniently
// (quoted or not, 'T' or space, any offset, any number of fraction digits).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dm::model {

struct Timestamp {
  int64_t seconds = 0;         // since the Unix epoch, UTC
  uint32_t nanos = 0;          // 0..999 999 999
  int32_t offset_minutes = 0;  // zone the time is shown in; 0 → "Z"

  static Timestamp now_utc();
  static std::optional<Timestamp> parse(std::string_view text);
  std::string rfc3339nano() const;
  bool is_zero() const { return seconds == 0 && nanos == 0; }  // not Go's zero time; see to_yaml users

  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

}  // namespace dm::model
