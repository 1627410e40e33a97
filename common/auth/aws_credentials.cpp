#include "common/auth/aws_credentials.h"

#include <filesystem>
#include <fstream>

#include "common/util/error.h"

namespace dm::auth {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::optional<AwsCredentials> load_aws_credentials(const EnvLookup& env) {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (id && secret) return AwsCredentials{*id, *secret, env("AWS_SESSION_TOKEN").value_or("")};

  std::filesystem::path file;
  if (auto f = env("AWS_SHARED_CREDENTIALS_FILE")) {
    file = *f;
  } else if (auto home = env("HOME")) {
    file = std::filesystem::path(*home) / ".aws" / "credentials";
  } else {
    return std::nullopt;
  }
  const std::string profile = env("AWS_PROFILE").value_or("default");
  std::ifstream in(file);
  if (!in) return std::nullopt;
  // The INI subset the AWS tools write: [profile] sections of key = value lines, # or ; comments.
  AwsCredentials creds;
  bool in_profile = false, seen_profile = false;
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      in_profile = trim(line.substr(1, line.size() - 2)) == profile;
      seen_profile = seen_profile || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const auto key = trim(line.substr(0, eq));
    const auto value = trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") creds.access_key_id = value;
    if (key == "aws_secret_access_key") creds.secret_access_key = value;
    if (key == "aws_session_token") creds.session_token = value;
  }
  if (!seen_profile) return std::nullopt;
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    throw Error(ErrorKind::InvalidArgument, "profile '" + profile + "' of AWS credentials file '" + file.string() +
                                                "' lacks aws_access_key_id or aws_secret_access_key");
  }
  return creds;
}

}  // namespace dm::auth
