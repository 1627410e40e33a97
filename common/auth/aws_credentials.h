// S3 credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
// profile AWS_PROFILE (default "default") of AWS_SHARED_CREDENTIALS_FILE (default
// ~/.aws/credentials). Errors name the file and profile, never a key.
#pragma once

#include <optional>
#include <string>

#include "common/util/env.h"

namespace dm::auth {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when not temporary
};

// nullopt when neither the environment nor a credentials file provides a key pair.
std::optional<AwsCredentials> load_aws_credentials(const EnvLookup& env);

}  // namespace dm::auth
