#include "common/model/index_parser.h"

#include <yaml.h>

#include <memory>

#include "common/util/error.h"
#include "common/util/utf8.h"

namespace dm::model {

namespace {

[[noreturn]] void invalid_index(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::Corrupt, "document " + what + " is invalid: " + why);
}

class EventStream {
 public:
  EventStream(std::string_view yaml, const std::string& what) : what_(what) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(yaml.data()), yaml.size());
  }
  ~EventStream() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  const yaml_event_t& next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = false;
    if (!yaml_parser_parse(&parser_, &event_)) {
      invalid_index(what_, std::string("YAML syntax error at line ") + std::to_string(parser_.problem_mark.line + 1) +
                               ": " + (parser_.problem ? parser_.problem : "unknown"));
    }
    has_event_ = true;
    if (event_.type == YAML_ALIAS_EVENT) invalid_index(what_, "aliases are not allowed in an index");
    return event_;
  }

  std::string scalar() const {
    return std::string(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
  }
  bool plain() const { return event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE; }
  bool null_scalar() const {
    if (!plain()) return false;
    const auto s = scalar();
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
  }

  // Skips the value whose first event is current (a scalar, or a whole mapping/sequence).
  void skip_value() {
    int depth = 0;
    do {
      const auto t = event_.type;
      if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) ++depth;
      if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) --depth;
      if (depth == 0) return;
      next();
    } while (true);
  }

  const std::string& what() const { return what_; }

 private:
  const std::string& what_;
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool has_event_ = false;
};

uint64_t to_uint(EventStream& s, const char* key) {
  if (s.null_scalar()) return 0;
  if (!s.plain()) invalid_index(s.what(), std::string("key '") + key + "' is not an integer");
  const auto v = s.scalar();
  if (v.empty() || v.size() > 20 || v.find_first_not_of("0123456789") != std::string::npos) {
    invalid_index(s.what(), std::string("key '") + key + "' is not an unsigned integer: " + dm::quoted(v));
  }
  try {
    return std::stoull(v);
  } catch (...) {
    invalid_index(s.what(), std::string("key '") + key + "' is out of range");
  }
}

BundleEntry parse_entry(EventStream& s, size_t index) {
  BundleEntry e;
  for (;;) {
    const auto& key_event = s.next();
    if (key_event.type == YAML_MAPPING_END_EVENT) break;
    if (key_event.type != YAML_SCALAR_EVENT)
      invalid_index(s.what(), "entry " + std::to_string(index) + " has a non-scalar key");
    const auto key = s.scalar();
    const auto& value = s.next();
    const bool scalar = value.type == YAML_SCALAR_EVENT;
    if (key == "hash" || key == "name") {
      if (!scalar) invalid_index(s.what(), "key " + dm::quoted(key) + " is not a string");
      (key == "hash" ? e.hash : e.name) = s.null_scalar() ? "" : s.scalar();
    } else if (key == "mode" || key == "size") {
      if (!scalar) invalid_index(s.what(), "key " + dm::quoted(key) + " is not an integer");
      const uint64_t v = to_uint(s, key.c_str());
      if (key == "size") {
        e.size = v;
      } else {
        if (v > UINT32_MAX) invalid_index(s.what(), "entry " + dm::quoted(e.name) + " has an out-of-range mode");
        e.mode = static_cast<uint32_t>(v);
      }
    } else if (key == "timestamp") {
      if (!scalar) invalid_index(s.what(), "key 'timestamp' is not a time");
      if (!s.null_scalar()) {
        e.timestamp = Timestamp::parse(s.scalar());
        if (!e.timestamp) invalid_index(s.what(), "key 'timestamp' is not an RFC 3339 time: " + dm::quoted(s.scalar()));
      }
    } else {
      s.skip_value();
    }
  }
  if (e.hash.empty())
    invalid_index(s.what(), "entry " + std::to_string(index) + " (" + dm::quoted(e.name) + ") has no hash");
  if (e.name.empty()) invalid_index(s.what(), "entry " + std::to_string(index) + " has no name");
  return e;
}

}  // namespace

std::vector<BundleEntry> parse_index_stream(std::string_view yaml, const std::string& what) {
  if (!is_valid_utf8(yaml)) invalid_index(what, "not valid UTF-8");
  EventStream s(yaml, what);
  std::vector<BundleEntry> out;
  if (s.next().type != YAML_STREAM_START_EVENT) invalid_index(what, "not a YAML stream");
  const auto& doc = s.next();
  if (doc.type == YAML_STREAM_END_EVENT) invalid_index(what, "not a YAML mapping");
  if (s.next().type != YAML_MAPPING_START_EVENT) invalid_index(what, "not a YAML mapping");
  for (;;) {
    const auto& key_event = s.next();
    if (key_event.type == YAML_MAPPING_END_EVENT) break;
    if (key_event.type != YAML_SCALAR_EVENT) invalid_index(what, "a top-level key is not a string");
    const bool ours = s.scalar() == "BundleEntries";
    const auto& value = s.next();
    if (!ours) {
      s.skip_value();
      continue;
    }
    if (value.type == YAML_SCALAR_EVENT && s.null_scalar()) continue;
    if (value.type != YAML_SEQUENCE_START_EVENT) invalid_index(what, "key 'BundleEntries' is not a list");
    out.reserve(1000);
    for (size_t i = 0;; ++i) {
      const auto& item = s.next();
      if (item.type == YAML_SEQUENCE_END_EVENT) break;
      if (item.type != YAML_MAPPING_START_EVENT)
        invalid_index(what, "entry " + std::to_string(i) + " is not a mapping");
      out.push_back(parse_entry(s, i));
    }
  }
  if (s.next().type != YAML_DOCUMENT_END_EVENT) invalid_index(what, "unexpected content after the document");
  if (s.next().type != YAML_STREAM_END_EVENT) invalid_index(what, "more than one YAML document");
  return out;
}

}  // namespace dm::model
