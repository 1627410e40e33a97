#include "common/auth/token_source_cache.h"

namespace dm::auth {

std::shared_ptr<TokenSource> TokenSourceCache::get_or_make(const std::string& credential_key,
                                                           const std::function<std::shared_ptr<TokenSource>()>& make) {
  // Made under the lock: constructing a source parses a file but fetches nothing, and two
  // stores opening at once must not end up with two sources.
  std::lock_guard lock(mutex_);
  if (const auto it = sources_.find(credential_key); it != sources_.end()) return it->second;
  auto source = make();
  sources_.emplace(credential_key, source);
  return source;
}

size_t TokenSourceCache::size() const {
  std::lock_guard lock(mutex_);
  return sources_.size();
}

TokenSourceCache& TokenSourceCache::process() {
  static TokenSourceCache cache;
  return cache;
}

}  // namespace dm::auth
