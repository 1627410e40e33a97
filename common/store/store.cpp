#include "common/store/store.h"

#include <cstring>

#include "common/util/error.h"

namespace dm::store {

std::vector<std::string> names_under(Store& store, std::string_view prefix) {
  std::vector<std::string> names;
  store.list(prefix, "", [&](const ListEntry& e) {
    if (!e.is_prefix) names.push_back(e.name);
  });
  return names;
}

std::string object_url(const Store& store, std::string_view name) {
  std::string url = store.describe();
  if (!url.empty() && url.back() != '/') url += '/';
  url += name;
  // Object names come from stores and bundles: escape control characters as dm::quoted() does.
  const auto shown = dm::quoted(url);
  return shown.substr(1, shown.size() - 2);
}

bool Store::remove_if_older(std::string_view name, int64_t cutoff) {
  const auto info = stat(name);
  if (!info || !info->modified || *info->modified >= cutoff) return false;
  try {
    remove(name);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) return false;
    throw;
  }
  return true;
}

size_t Store::read_into(std::string_view name, uint64_t max_size, const BufferFor& buffer_for,
                        const OnArrived& on_arrived) {
  const auto data = get(name);
  if (data.size() > max_size) throw_too_large(name, max_size);
  const auto buffer = buffer_for(data.size());
  std::memcpy(buffer.data(), data.data(), data.size());
  if (on_arrived) on_arrived({buffer.data(), data.size()});
  return data.size();
}

void Store::throw_too_large(std::string_view name, uint64_t max_size) const {
  throw Error(ErrorKind::Corrupt, "object " + object_url(*this, name) + " is larger than the " +
                                      std::to_string(max_size) + " bytes expected");
}

void throw_versioned_store_required(const Store& store) {
  throw Error(ErrorKind::InvalidArgument,
              "versioned store is required: " + store.describe() + " does not enable versioning");
}

std::vector<std::string> Store::list_versions(std::string_view /*name*/) {
  throw_versioned_store_required(*this);
}

std::string Store::read_version(std::string_view /*name*/, std::string_view /*version*/, uint64_t /*max_size*/) {
  throw_versioned_store_required(*this);
}

}  // namespace dm::store
