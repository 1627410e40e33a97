// Hashes and MACs the auth code needs, on OpenSSL: SHA-256 (hex), MD5 (raw, for S3's
// Content-MD5 integrity header), HMAC-SHA256 (raw), and
// RS256 signatures (PKCS#1 v1.5 over SHA-256) with a PEM private key. Pure functions;
// rs256_sign throws dm::Error(InvalidArgument) for an unusable key without quoting it.
#pragma once

#include <string>
#include <string_view>

namespace dm::auth {

std::string sha256_hex(std::string_view data);
std::string md5(std::string_view data);                                // raw 16 bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string rs256_sign(std::string_view pem_private_key, std::string_view data, std::string_view key_name);

}  // namespace dm::auth
