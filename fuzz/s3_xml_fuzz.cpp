// Fuzzes the S3 XML readers (ListObjectsV2 and ListObjectVersions pages, error codes) with arbitrary bodies: no crash,
// no exception; and any string escaped the way S3 escapes it reads back unchanged.
#include <cstdint>
#include <string>

#include "common/store/s3/s3_xml.h"

namespace {

std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  namespace s3 = dm::store::s3;
  (void)s3::xml_values_in(body, "Contents", "Key");
  (void)s3::xml_values_in(body, "CommonPrefixes", "Prefix");
  (void)s3::xml_first(body, "Code");
  (void)s3::xml_first(body, "NextContinuationToken");
  for (const auto block : s3::xml_blocks(body, "Version")) (void)s3::xml_first(block, "VersionId");
  (void)s3::xml_unescape(body);
  const std::string page = "<ListBucketResult><Contents><Key>" + escape(body) + "</Key><Size>1</Size></Contents>" +
                           "<KeyCount>1</KeyCount></ListBucketResult>";
  const auto keys = s3::xml_values_in(page, "Contents", "Key");
  if (keys.size() != 1 || keys[0] != body) __builtin_trap();
  return 0;
}
