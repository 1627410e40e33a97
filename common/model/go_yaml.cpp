#include "common/model/go_yaml.h"

#include <re2/re2.h>

#include <cstdint>
#include <cstdio>

#include "common/model/timestamp.h"

namespace dm::model {

namespace {

constexpr int kBestWidth = 80;

// Decodes one UTF-8 code point at s[i]; returns its length (1 for invalid bytes).
size_t utf8_at(std::string_view s, size_t i, uint32_t& cp) {
  const auto c = static_cast<uint8_t>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + n > s.size()) n = 1;
  cp = n == 1 ? c : n == 2 ? (c & 0x1FU) : n == 3 ? (c & 0x0FU) : (c & 0x07U);
  for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3FU);
  return n;
}

bool printable(uint32_t c) {
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}

bool is_break(uint32_t c) {
  return c == '\n' || c == '\r' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool is_blank(uint32_t c) {
  return c == ' ' || c == '\t';
}

struct Analysis {
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool multiline = false;
};

Analysis analyze(std::string_view s) {
  Analysis a;
  if (s.empty()) {
    a.block_plain_allowed = false;
    return a;
  }
  bool flow_ind = false, block_ind = false, leading_space = false, leading_break = false, trailing_space = false,
       trailing_break = false, break_space = false, space_break = false, previous_space = false, previous_break = false,
       line_breaks = false, special = false;
  if (s.rfind("---", 0) == 0 || s.rfind("...", 0) == 0) flow_ind = block_ind = true;
  bool preceded_by_ws = true;
  for (size_t i = 0; i < s.size();) {
    uint32_t c;
    const size_t n = utf8_at(s, i, c);
    uint32_t next = 0;
    const bool last = i + n >= s.size();
    if (!last) utf8_at(s, i + n, next);
    const bool followed_by_ws = last || is_blank(next) || is_break(next);
    if (i == 0) {
      switch (c) {
        case '#':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
          flow_ind = block_ind = true;
          break;
        case '?':
        case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '-':
          if (followed_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    } else {
      switch (c) {
        case ',':
        case '?':
        case '[':
        case ']':
        case '{':
        case '}':
          flow_ind = true;
          break;
        case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '#':
          if (preceded_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    }
    if (!printable(c)) special = true;
    if (is_break(c)) line_breaks = true;
    if (c == ' ') {
      if (i == 0) leading_space = true;
      if (last) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(c)) {
      if (i == 0) leading_break = true;
      if (last) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = previous_break = false;
    }
    preceded_by_ws = is_blank(c) || is_break(c);
    i += n;
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) a.block_plain_allowed = false;
  if (break_space) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
  }
  if (space_break || special) {
    a.block_plain_allowed = false;
    a.single_quoted_allowed = false;
  }
  if (line_breaks) a.block_plain_allowed = false;
  if (block_ind) a.block_plain_allowed = false;
  (void)flow_ind;
  return a;
}

// Writes text with yaml.v2's folding: a single space past column 80 becomes a line break.
void write_folded(std::string& out, std::string_view s, int& column, int indent, bool quoted) {
  bool spaces = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t c;
    const size_t n = utf8_at(s, i, c);
    uint32_t next = 0;
    if (i + n < s.size()) utf8_at(s, i + n, next);
    if (c == ' ') {
      const bool edge_ok = !quoted || (i != 0 && i + n != s.size());
      if (!spaces && column > kBestWidth && edge_ok && next != ' ') {
        out += '\n';
        out.append(static_cast<size_t>(indent), ' ');
        column = indent;
      } else {
        out += ' ';
        ++column;
      }
      spaces = true;
    } else {
      if (quoted && c == '\'') {
        out += "''";
        column += 2;
      } else {
        out.append(s.substr(i, n));
        ++column;
      }
      spaces = false;
    }
    i += n;
  }
}

void write_double_quoted(std::string& out, std::string_view s, int& column, int indent) {
  out += '"';
  ++column;
  bool spaces = false;
  for (size_t i = 0; i < s.size();) {
    uint32_t c;
    const size_t n = utf8_at(s, i, c);
    if (!printable(c) || c == 0xFEFF || is_break(c) || c == '"' || c == '\\') {
      char buf[16];
      switch (c) {
        case 0:
          out += "\\0";
          break;
        case 7:
          out += "\\a";
          break;
        case 8:
          out += "\\b";
          break;
        case 9:
          out += "\\t";
          break;
        case 0xA:
          out += "\\n";
          break;
        case 0xB:
          out += "\\v";
          break;
        case 0xC:
          out += "\\f";
          break;
        case 0xD:
          out += "\\r";
          break;
        case 0x1B:
          out += "\\e";
          break;
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case 0x85:
          out += "\\N";
          break;
        case 0xA0:
          out += "\\_";
          break;
        case 0x2028:
          out += "\\L";
          break;
        case 0x2029:
          out += "\\P";
          break;
        default:
          if (c <= 0xFF)
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
          else if (c <= 0xFFFF)
            std::snprintf(buf, sizeof buf, "\\u%04X", c);
          else
            std::snprintf(buf, sizeof buf, "\\U%08X", c);
          out += buf;
      }
      column += 2;
      spaces = false;
    } else if (c == ' ') {
      if (!spaces && column > kBestWidth && i != 0 && i + n != s.size()) {
        out += '\n';
        out.append(static_cast<size_t>(indent), ' ');
        column = indent;
        uint32_t next = 0;
        if (i + n < s.size()) utf8_at(s, i + n, next);
        if (next == ' ') {
          out += '\\';
          ++column;
        }
      } else {
        out += ' ';
        ++column;
      }
      spaces = true;
    } else {
      out.append(s.substr(i, n));
      ++column;
      spaces = false;
    }
    i += n;
  }
  out += '"';
  ++column;
}

void write_literal(std::string& out, std::string_view s, int indent) {
  out += '|';
  if (!s.empty() && (s.front() == ' ' || s.front() == '\n')) out += std::to_string(2);
  const bool ends_break = !s.empty() && s.back() == '\n';
  const bool ends_two = s.size() >= 2 && s[s.size() - 2] == '\n' && ends_break;
  if (!ends_break)
    out += '-';
  else if (ends_two || s.size() == 1)
    out += '+';
  out += '\n';
  const int content_indent = indent + 2;
  size_t start = 0;
  std::string_view body = ends_break ? s.substr(0, s.size() - 1) : s;
  while (true) {
    const size_t nl = body.find('\n', start);
    const auto line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!line.empty()) out.append(static_cast<size_t>(content_indent), ' ');
    out.append(line);
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
}

// yaml.v2's float resolution; RE2 (as Go's regexp): linear time and bounded stack on any input.
const RE2& float_pattern() {
  static const RE2 re(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  return re;
}

bool is_base60_float(std::string_view s) {
  static const RE2 re(R"([-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)");
  if (s.empty()) return false;
  const char c = s[0];
  if (!((c >= '0' && c <= '9') || c == '+' || c == '-')) return false;
  if (s.find(':') == std::string_view::npos) return false;
  return RE2::FullMatch(s, re);
}

bool go_parse_int(const std::string& s) {
  // strconv.ParseInt/ParseUint with base 0 after removing '_' (yaml.v2 does that first).
  std::string t;
  for (char ch : s)
    if (ch != '_') t += ch;
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  if (i >= t.size()) return false;
  int base = 10;
  if (t.size() - i > 1 && t[i] == '0') {
    const char p = static_cast<char>(t[i + 1] | 0x20);
    if (p == 'x')
      base = 16, i += 2;
    else if (p == 'b')
      base = 2, i += 2;
    else if (p == 'o')
      base = 8, i += 2;
    else
      base = 8, i += 1;
  }
  if (i >= t.size()) return base == 8;  // "0" alone is handled above as base 10
  for (; i < t.size(); ++i) {
    const char ch = static_cast<char>(t[i] | 0x20);
    int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : 99;
    if (v >= base) return false;
  }
  return true;
}

}  // namespace

bool yaml_resolves_to_non_string(std::string_view s) {
  static const char* const kWords[] = {"y",     "Y",     "yes",   "Yes",   "YES",   "true",  "True",  "TRUE",
                                       "on",    "On",    "ON",    "n",     "N",     "no",    "No",    "NO",
                                       "false", "False", "FALSE", "off",   "Off",   "OFF",   "",      "~",
                                       "null",  "Null",  "NULL",  ".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                       ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"};
  for (const char* w : kWords)
    if (s == w) return true;
  if (s.empty()) return true;
  const char c = s[0];
  const bool digit_hint = (c >= '0' && c <= '9') || c == '+' || c == '-';
  if (c == '.') {
    return RE2::FullMatch(s, float_pattern());
  }
  if (!digit_hint) return false;
  // Numbers and dates use only these characters; anything else (most names and hashes) is a
  // string without running the regexes below.
  {
    std::string_view body = s;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
    const bool prefixed =
        body.size() > 1 && body[0] == '0' && std::string_view("xXoObB").find(body[1]) != std::string_view::npos;
    const char* allowed = prefixed ? "0123456789abcdefABCDEFxXoO_+-" : "0123456789+-.:_eEtTzZ ";
    if (s.find_first_not_of(allowed) != std::string_view::npos) return false;
  }
  // Dates: yaml.v2 tries "2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t…", "2006-1-2 15:4:5.999999999", "2006-1-2".
  static const RE2 date(R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})");
  if (RE2::FullMatch(s, date)) return true;
  if (s.size() >= 19 && Timestamp::parse(s)) return true;
  std::string plain;
  for (char ch : s)
    if (ch != '_') plain += ch;
  if (go_parse_int(plain)) return true;
  if (RE2::FullMatch(plain, float_pattern())) return true;
  return false;
}

void append_yaml_string(std::string& out, std::string_view value, int column, int indent) {
  const int value_indent = indent + 2;
  const bool can_use_plain = !yaml_resolves_to_non_string(value) && !is_base60_float(value);
  const Analysis a = analyze(value);
  if (value.find('\n') != std::string_view::npos) {
    // yaml.v2 asks for a literal block; the emitter keeps it unless the text has special
    // characters, a space before a line break, or a trailing space: then double quotes.
    bool block_allowed = value.find(" \n") == std::string_view::npos && value.back() != ' ';
    for (size_t i = 0; i < value.size() && block_allowed;) {
      uint32_t c;
      const size_t n = utf8_at(value, i, c);
      if (!printable(c)) block_allowed = false;
      i += n;
    }
    if (block_allowed) {
      write_literal(out, value, indent);
      return;
    }
    write_double_quoted(out, value, column, value_indent);
    return;
  }
  if (can_use_plain && a.block_plain_allowed) {
    write_folded(out, value, column, value_indent, false);
    return;
  }
  if (can_use_plain && a.single_quoted_allowed) {
    out += '\'';
    ++column;
    write_folded(out, value, column, value_indent, true);
    out += '\'';
    return;
  }
  write_double_quoted(out, value, column, value_indent);
}

}  // namespace dm::model
