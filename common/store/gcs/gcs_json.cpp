#include "common/store/gcs/gcs_json.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/store/gcs/gcs_store.h"
#include "common/util/error.h"

namespace dm::store::gcs {

namespace {

std::string string_or_empty(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A generation as GCS sends it ("1796548024697", or a number): its decimal digits, "" when it is
// neither.
std::string generation_of(const nlohmann::json& item) {
  const auto g = item.find("generation");
  if (g == item.end()) return {};
  if (g->is_number_unsigned()) return std::to_string(g->get<uint64_t>());
  if (!g->is_string()) return {};
  const auto& text = g->get_ref<const std::string&>();
  return is_generation(text) ? text : std::string();
}

}  // namespace

bool is_generation(std::string_view text) {
  return !text.empty() && text.size() <= 19 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ErrorInfo parse_error(std::string_view body) {
  ErrorInfo info;
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return info;
  const auto e = j.find("error");
  if (e == j.end() || !e->is_object()) return info;
  info.message = string_or_empty(*e, "message");
  const auto errors = e->find("errors");
  if (errors != e->end() && errors->is_array() && !errors->empty())
    info.reason = string_or_empty((*errors)[0], "reason");
  return info;
}

ListPage parse_list_page(std::string_view body, const std::string& what) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(ErrorKind::Unavailable, what + ": list answer is not a JSON object");
  auto bad = [&](const char* why) { return Error(ErrorKind::Unavailable, what + ": list answer " + why); };
  ListPage page;
  if (const auto items = j.find("items"); items != j.end()) {
    if (!items->is_array()) throw bad("has 'items' that is not a list");
    for (const auto& item : *items) {
      const auto name = item.is_object() ? item.find("name") : item.end();
      if (!item.is_object() || name == item.end() || !name->is_string()) throw bad("has an item without a name");
      page.items.push_back(name->get<std::string>());
      page.generations.push_back(generation_of(item));
    }
  }
  if (const auto prefixes = j.find("prefixes"); prefixes != j.end()) {
    if (!prefixes->is_array()) throw bad("has 'prefixes' that is not a list");
    for (const auto& p : *prefixes) {
      if (!p.is_string()) throw bad("has a prefix that is not a string");
      page.prefixes.push_back(p.get<std::string>());
    }
  }
  page.next_page_token = string_or_empty(j, "nextPageToken");
  return page;
}

bool parse_bucket_versioning(std::string_view body, const std::string& what) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) throw Error(ErrorKind::Unavailable, what + ": bucket metadata is not a JSON object");
  const auto versioning = j.find("versioning");
  if (versioning == j.end() || !versioning->is_object()) return false;
  const auto enabled = versioning->find("enabled");
  return enabled != versioning->end() && enabled->is_boolean() && enabled->get<bool>();
}

ObjectMetadata parse_object_metadata(std::string_view body, const std::string& what) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const auto size = j.is_object() ? j.find("size") : j.end();
  ObjectMetadata meta;
  bool sized = false;
  if (j.is_object() && size != j.end()) {
    if (size->is_number_unsigned()) {
      meta.size = size->get<uint64_t>();
      sized = true;
    } else if (size->is_string()) {
      const auto& text = size->get_ref<const std::string&>();
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), meta.size);
      sized = ec == std::errc() && end == text.data() + text.size() && !text.empty();
    }
  }
  if (!sized) throw Error(ErrorKind::Unavailable, what + ": object metadata without a size");
  const auto crc = string_or_empty(j, "crc32c");
  if (!crc.empty()) meta.crc32c = decode_gcs_crc32c(crc);
  const auto updated = string_or_empty(j, "updated");
  struct tm tm {};
  const char* end = ::strptime(updated.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!updated.empty() && end != nullptr) meta.updated = static_cast<int64_t>(::timegm(&tm));
  return meta;
}

}  // namespace dm::store::gcs
