#include "fusefs/byte_size.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include "common/util/ascii.h"
#include "common/util/error.h"

namespace dm::fusefs {

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  const auto bad = [&] { return Error(ErrorKind::InvalidArgument, what + " '" + text + "' is not a byte size"); };
  size_t pos = 0;
  while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) ++pos;
  if (pos == 0) throw bad();
  double number;
  try {
    number = std::stod(text.substr(0, pos));
  } catch (const std::exception&) {
    throw bad();
  }
  std::string unit = text.substr(pos);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  unit = ascii_lower(unit);
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"tb", 1e12},
      {"kib", 1024.0},
      {"mib", 1048576.0},
      {"gib", 1073741824.0},
      {"tib", 1099511627776.0},
      {"k", 1024.0},
      {"m", 1048576.0},
      {"g", 1073741824.0},
      {"t", 1099511627776.0},
  };
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) {
      const double bytes = std::floor(number * factor);
      if (!(bytes >= 0) || bytes > 1.8e19) throw bad();
      return static_cast<uint64_t>(bytes);
    }
  }
  throw bad();
}

}  // namespace dm::fusefs
