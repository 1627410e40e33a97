// GcsAuthOptions: the settings a GCS token source depends on besides the environment. The store
// layer's StoreOptions carries them (it derives from this), so auth never needs a store header.
#pragma once

#include <string>

namespace dm::auth {

struct GcsAuthOptions {
  std::string credential_file;  // GCS service-account or authorized_user JSON
  std::string gcs_endpoint;     // e.g. http://127.0.0.1:9199 (STORAGE_EMULATOR_HOST convention)
};

}  // namespace dm::auth
