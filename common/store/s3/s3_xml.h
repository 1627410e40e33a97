// The few pieces of S3's XML answers we read (ListObjectsV2 and ListObjectVersions pages, the
// versioning status, error codes). S3 XML is
// flat and machine-written, so a tag scan with entity decoding is enough. Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dm::store::s3 {

// Text of every <tag> directly inside each <parent> block, decoded.
std::vector<std::string> xml_values_in(std::string_view xml, std::string_view parent, std::string_view tag);
// The undecoded inner text of every <parent> block, in order (read its fields with xml_first).
std::vector<std::string_view> xml_blocks(std::string_view xml, std::string_view parent);
// Text of the first <tag>, decoded; "" when absent.
std::string xml_first(std::string_view xml, std::string_view tag);
// Decodes &amp; &lt; &gt; &quot; &apos; and &#N; / &#xN; references.
std::string xml_unescape(std::string_view text);

}  // namespace dm::store::s3
