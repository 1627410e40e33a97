// Fuzzes root-blob decoding, ksuid and timestamp parsing, and entry-name checks: malformed
// input is rejected with dm::Error or nullopt, never a crash or an escaping name.
#include <cstdint>
#include <string>

#include "common/cafs/key.h"
#include "common/cafs/root_blob.h"
#include "common/model/ksuid.h"
#include "common/model/paths.h"
#include "common/model/timestamp.h"
#include "common/util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string in(reinterpret_cast<const char*>(data), size);
  try {
    dm::cafs::decode_root_blob(in, dm::cafs::Key(), 2097152, "fuzz");
  } catch (const dm::Error&) {
  }
  if (auto k = dm::model::ksuid_decode(in)) {
    if (dm::model::ksuid_encode(*k) != in) __builtin_trap();
  }
  if (auto t = dm::model::Timestamp::parse(in)) {
    auto again = dm::model::Timestamp::parse(t->rfc3339nano());
    if (!again || again->seconds != t->seconds || again->nanos != t->nanos) __builtin_trap();
  }
  if (auto name = dm::model::safe_entry_name(in)) {
    // Every component of an accepted name is a real file name: never empty, ".", ".." or NUL.
    if (name->empty() || name->front() == '/' || name->find('\0') != std::string::npos) __builtin_trap();
    size_t start = 0;
    while (start <= name->size()) {
      size_t end = name->find('/', start);
      if (end == std::string::npos) end = name->size();
      const auto part = name->substr(start, end - start);
      if (part.empty() || part == "." || part == "..") __builtin_trap();
      start = end + 1;
    }
  }
  return 0;
}
