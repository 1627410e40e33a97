#include "common/store/s3/s3_xml.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/util/utf8.h"

namespace dm::store::s3 {

namespace {

// The text between <tag> (or <tag attr...>) and </tag>, searching from `from`; npos when absent.
std::string_view element(std::string_view xml, std::string_view tag, size_t& from) {
  const std::string open = fmt::format("<{}", tag);
  const std::string close = fmt::format("</{}>", tag);
  while (true) {
    const auto start = xml.find(open, from);
    if (start == std::string_view::npos) {
      from = std::string_view::npos;
      return {};
    }
    const auto after = start + open.size();
    if (after < xml.size() && xml[after] != '>' && xml[after] != ' ') {  // <KeyCount> when looking for <Key>
      from = after;
      continue;
    }
    const auto gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Tag/>
      from = gt + 1;
      return xml.substr(gt + 1, 0);
    }
    const auto end = xml.find(close, gt + 1);
    if (end == std::string_view::npos) break;
    from = end + close.size();
    return xml.substr(gt + 1, end - gt - 1);
  }
  from = std::string_view::npos;
  return {};
}

}  // namespace

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    const auto ent = text.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos")
      out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      const std::string num(ent.substr(1));
      const unsigned long cp = (!num.empty() && (num[0] == 'x' || num[0] == 'X'))
                                   ? std::strtoul(num.c_str() + 1, nullptr, 16)
                                   : std::strtoul(num.c_str(), nullptr, 10);
      dm::append_utf8(out, static_cast<char32_t>(cp));
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::vector<std::string> xml_values_in(std::string_view xml, std::string_view parent, std::string_view tag) {
  std::vector<std::string> out;
  for (const auto block : xml_blocks(xml, parent)) {
    size_t inner = 0;
    const auto value = element(block, tag, inner);
    if (inner != std::string_view::npos) out.push_back(xml_unescape(value));
  }
  return out;
}

std::vector<std::string_view> xml_blocks(std::string_view xml, std::string_view parent) {
  std::vector<std::string_view> out;
  size_t from = 0;
  while (true) {
    const auto block = element(xml, parent, from);
    if (from == std::string_view::npos) break;
    out.push_back(block);
  }
  return out;
}

std::string xml_first(std::string_view xml, std::string_view tag) {
  size_t from = 0;
  const auto v = element(xml, tag, from);
  return from == std::string_view::npos ? std::string() : xml_unescape(v);
}

}  // namespace dm::store::s3
