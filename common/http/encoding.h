// Encodings that HTTP APIs need: base64 (GCS hashes), base64url (JWT), percent-encoding with
// the RFC 3986 unreserved set (S3 SigV4 canonical form, GCS object names). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dm::http {

std::string base64(std::string_view bytes);
// nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64url(std::string_view bytes);  // no padding

// Encodes every byte but A-Z a-z 0-9 - . _ ~ (and '/' when keep_slash).
std::string percent_encode(std::string_view text, bool keep_slash = false);
std::string percent_decode(std::string_view text);

}  // namespace dm::http
