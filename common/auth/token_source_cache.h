// One token source per credential per process: every GcsStore opened with the same credentials
// file (same path and content) or the same metadata server shares one cached, refreshed token,
// so a command that opens four buckets asks the token endpoint once, not four times.
// Thread-safe; sources live as long as the cache (the process, for process()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/auth/gcs_token_source.h"

namespace dm::auth {

class TokenSourceCache {
 public:
  // The source cached under `credential_key`, made by `make` on first use. `credential_key`
  // identifies the credential (never the secret itself: a digest of it is fine).
  std::shared_ptr<TokenSource> get_or_make(const std::string& credential_key,
                                           const std::function<std::shared_ptr<TokenSource>()>& make);
  size_t size() const;

  // The cache of this process. Credentials, like the environment they come from, are
  // process-wide; sharing their tokens is the point, so this one instance is deliberate.
  static TokenSourceCache& process();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<TokenSource>> sources_;  // guarded by mutex_
};

}  // namespace dm::auth
