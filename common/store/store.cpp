#include "common/store/store.h"

namespace dm::store {

std::string object_url(const Store& store, std::string_view name) {
  std::string url = store.describe();
  if (!url.empty() && url.back() != '/') url += '/';
  url += name;
  return url;
}

}  // namespace dm::store
