#include "common/template/model_values.h"

#include <cstdio>

namespace dm::tmpl {

namespace {

// Go's blank `_ struct{}` field: printed by fmt ("{}"), invisible to templates and JSON.
Field blank() {
  return Field{"_", Value::structure("struct {}", {}), "", false};
}

Value contributors(const std::vector<model::Contributor>& list) {
  std::vector<Value> items;
  items.reserve(list.size());
  for (const auto& c : list) items.push_back(to_value(c));
  return Value::list(std::move(items), "[]model.Contributor");
}

const char* month_name(int m) {
  static const char* const kNames[] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};
  return kNames[(m + 11) % 12];
}

}  // namespace

std::string go_time_string(const std::optional<model::Timestamp>& t) {
  if (!t) return "0001-01-01 00:00:00 +0000 UTC";
  // RFC3339Nano is "YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|±hh:mm)"; String() is the same date and
  // clock, a space, the offset as ±hhmm, and the zone name: UTC, or the offset again for a
  // fixed zone with no name (what time.Parse gives for an offset that is not the local zone).
  const std::string rfc = t->rfc3339nano();
  std::string out = rfc;
  out[10] = ' ';
  if (out.back() == 'Z') {
    out.pop_back();
    return out + " +0000 UTC";
  }
  const std::string zone = rfc.substr(rfc.size() - 6, 3) + rfc.substr(rfc.size() - 2);
  out.resize(out.size() - 6);
  return out + " " + zone + " " + zone;
}

Value go_time(const std::optional<model::Timestamp>& t) {
  const std::string text = go_time_string(t);
  const std::string rfc = t ? t->rfc3339nano() : "0001-01-01T00:00:00Z";
  const int64_t unix_seconds = t ? t->seconds : -62135596800LL;
  std::vector<Field> methods{{"IsZero", Value::boolean(!t), "", false},
                             {"Unix", Value::integer(unix_seconds), "", false},
                             {"String", Value::string(text), "", false}};
  // GoString(): time.Date(2019, time.March, 12, 22, 10, 24, 159704000, time.UTC)
  const int year = std::stoi(rfc.substr(0, 4));
  const int month = std::stoi(rfc.substr(5, 2));
  const int day = std::stoi(rfc.substr(8, 2));
  const int hour = std::stoi(rfc.substr(11, 2));
  const int minute = std::stoi(rfc.substr(14, 2));
  const int second = std::stoi(rfc.substr(17, 2));
  char buf[160];
  std::snprintf(buf, sizeof buf, "time.Date(%d, time.%s, %d, %d, %d, %d, %u, %s)", year, month_name(month), day, hour,
                minute, second, t ? t->nanos : 0U, (!t || t->offset_minutes == 0) ? "time.UTC" : "time.Location(\"\")");
  return Value::stringer("time.Time", text, Value::string(rfc), std::move(methods), buf);
}

std::string go_file_mode_string(uint32_t mode) {
  static constexpr char kTypes[] = "dalTLDpSugct?";
  static constexpr char kRwx[] = "rwxrwxrwx";
  char buf[32];
  size_t n = 0;
  for (int i = 0; kTypes[i] != '\0'; ++i) {
    if (mode & (1U << (31 - i))) buf[n++] = kTypes[i];
  }
  if (n == 0) buf[n++] = '-';
  for (int i = 0; i < 9; ++i) buf[n++] = (mode & (1U << (8 - i))) ? kRwx[i] : '-';
  return std::string(buf, n);
}

Value to_value(const model::Contributor& c) {
  return Value::structure(
      "model.Contributor",
      {{"Name", Value::string(c.name), "name", false}, {"Email", Value::string(c.email), "email", false}, blank()});
}

Value to_value(const model::BundleDescriptor& d) {
  std::vector<Value> parents;
  for (const auto& p : d.parents) parents.push_back(Value::string(p));
  return Value::structure("model.BundleDescriptor",
                          {{"LeafSize", Value::unsigned_integer(d.leaf_size), "leafSize", false},
                           {"ID", Value::string(d.id), "id", false},
                           {"Message", Value::string(d.message), "message", false},
                           {"Parents", Value::list(std::move(parents), "[]string"), "parents", true},
                           {"Timestamp", go_time(d.timestamp), "timestamp", true},
                           {"Contributors", contributors(d.contributors), "contributors", false},
                           {"BundleEntriesFileCount", Value::unsigned_integer(d.count), "count", false},
                           {"Version", Value::unsigned_integer(d.version), "version", true},
                           {"Deduplication", Value::string(d.deduplication), "deduplication", true},
                           {"RunStage", Value::string(d.runstage), "runstage", true},
                           blank()});
}

Value to_value(const model::BundleEntry& e) {
  const Value mode = Value::stringer("fs.FileMode", go_file_mode_string(e.mode), Value::unsigned_integer(e.mode));
  return Value::structure("model.BundleEntry", {{"Hash", Value::string(e.hash), "hash", false},
                                                {"NameWithPath", Value::string(e.name), "name", false},
                                                {"FileMode", mode, "mode", false},
                                                {"Size", Value::unsigned_integer(e.size), "size", false},
                                                {"Timestamp", go_time(e.timestamp), "timestamp", true},
                                                blank()});
}

Value to_value(const model::LabelDescriptor& d) {
  return Value::structure("model.LabelDescriptor",
                          {{"Name", Value::string(d.name), "name", true},
                           {"BundleID", Value::string(d.id), "id", false},
                           {"Timestamp", go_time(d.timestamp), "timestamp", true},
                           {"Contributors", contributors(d.contributors), "contributors", false},
                           blank()});
}

Value to_value(const model::RepoDescriptor& d) {
  return Value::structure("model.RepoDescriptor", {{"Name", Value::string(d.name), "name", true},
                                                   {"Description", Value::string(d.description), "description", true},
                                                   {"Timestamp", go_time(d.timestamp), "timestamp", true},
                                                   {"Contributor", to_value(d.contributor), "contributor", true}});
}

Value to_value(const model::ContextDescriptor& d) {
  return Value::structure("model.Context", {{"Name", Value::string(d.name), "name", false},
                                            {"WAL", Value::string(d.wal), "wal", false},
                                            {"ReadLog", Value::string(d.readlog), "readlog", false},
                                            {"Blob", Value::string(d.blob), "blob", false},
                                            {"Metadata", Value::string(d.metadata), "metadata", false},
                                            {"VMetadata", Value::string(d.vmetadata), "vmetadata", false},
                                            {"Version", Value::unsigned_integer(d.version), "version", false},
                                            blank()});
}

}  // namespace dm::tmpl
