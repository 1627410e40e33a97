#include "common/store/list_pages.h"

#include <functional>

#include "common/util/error.h"

namespace dm::store {

void ListPages::next(std::string_view token) {
  if (!seen_.insert(std::hash<std::string_view>{}(token)).second) {
    throw Error(ErrorKind::Unavailable, "listing " + what_ + ": the server sent the same page token twice (after " +
                                            std::to_string(pages_) + " pages); it would never end");
  }
  if (++pages_ > max_) {
    throw Error(ErrorKind::Unavailable,
                "listing " + what_ + ": more than " + std::to_string(max_) + " pages; the server never ends it");
  }
}

}  // namespace dm::store
