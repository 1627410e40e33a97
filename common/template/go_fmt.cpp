#include "common/template/go_fmt.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/util/utf8.h"

namespace dm::tmpl {

namespace {

struct Spec {
  bool minus = false, plus = false, sharp = false, zero = false, space = false;
  int width = -1;
  int precision = -1;
  char verb = 'v';
};

// Decodes one UTF-8 rune at `i`; an invalid byte is returned as -1 with length 1.
int32_t decode_rune(std::string_view s, size_t i, size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  len = 1;
  if (b0 < 0x80) return b0;
  int need = 0;
  int32_t r = 0;
  if ((b0 & 0xe0) == 0xc0) {
    need = 1;
    r = b0 & 0x1f;
  } else if ((b0 & 0xf0) == 0xe0) {
    need = 2;
    r = b0 & 0x0f;
  } else if ((b0 & 0xf8) == 0xf0) {
    need = 3;
    r = b0 & 0x07;
  } else {
    return -1;
  }
  if (i + static_cast<size_t>(need) >= s.size()) return -1;
  for (int k = 1; k <= need; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return -1;
    r = (r << 6) | (b & 0x3f);
  }
  static constexpr int32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (r < kMin[need] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return -1;
  len = need + 1;
  return r;
}

size_t rune_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    decode_rune(s, i, len);
    i += len;
    ++n;
  }
  return n;
}

std::string hex_digits(uint64_t v, bool upper) {
  if (v == 0) return "0";
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  while (v) {
    out.insert(out.begin(), digits[v & 0xf]);
    v >>= 4;
  }
  return out;
}

// Pads `body` to the spec's width (in runes) with spaces, or zeros after any sign when asked.
std::string pad(std::string body, const Spec& spec, bool zero_ok) {
  if (spec.width < 0) return body;
  const size_t n = rune_count(body);
  if (n >= static_cast<size_t>(spec.width)) return body;
  const size_t fill = spec.width - n;
  if (spec.minus) return body + std::string(fill, ' ');
  if (spec.zero && zero_ok) {
    size_t at = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) ? 1 : 0;
    if (spec.sharp && body.size() > at + 1 && body[at] == '0' && (body[at + 1] == 'x' || body[at + 1] == 'X')) at += 2;
    body.insert(at, fill, '0');
    return body;
  }
  return std::string(fill, ' ') + body;
}

// What %T and the %!verb(type=value) markers print: fmt says "<nil>" where a message says
// "interface {}".
std::string type_name(const Value& v) {
  return v.kind() == Value::Kind::Nil ? "<nil>" : v.go_type();
}

std::string format(const Value& v, const Spec& spec);

std::string bad_verb(const Value& v, const Spec& spec) {
  if (v.kind() == Value::Kind::Nil) return std::string("%!") + spec.verb + "(<nil>)";
  Spec plain;
  return std::string("%!") + spec.verb + "(" + type_name(v) + "=" + format(v, plain) + ")";
}

std::string format_integer(bool negative, uint64_t magnitude, const Value& v, const Spec& spec) {
  int base = 10;
  bool upper = false;
  std::string prefix;
  switch (spec.verb) {
    case 'v':
      if (spec.sharp && v.kind() == Value::Kind::Uint) {
        base = 16;
        prefix = "0x";
      }
      break;
    case 'd':
      break;
    case 'x':
      base = 16;
      if (spec.sharp) prefix = "0x";
      break;
    case 'X':
      base = 16;
      upper = true;
      if (spec.sharp) prefix = "0X";
      break;
    case 'o':
      base = 8;
      if (spec.sharp) prefix = "0";
      break;
    case 'b':
      base = 2;
      break;
    case 'c': {
      std::string out;
      dm::append_utf8(out, static_cast<char32_t>(magnitude));
      return pad(out, spec, false);
    }
    case 'q': {
      std::string r;
      dm::append_utf8(r, static_cast<char32_t>(magnitude));
      return pad("'" + r + "'", spec, false);
    }
    default:
      return bad_verb(v, spec);
  }
  std::string digits;
  if (base == 16) {
    digits = hex_digits(magnitude, upper);
  } else {
    char buf[72];
    auto res = std::to_chars(buf, buf + sizeof buf, magnitude, base);
    digits.assign(buf, res.ptr);
  }
  if (spec.precision >= 0) {
    if (spec.precision == 0 && magnitude == 0) digits.clear();
    while (digits.size() < static_cast<size_t>(spec.precision)) digits.insert(digits.begin(), '0');
  }
  std::string sign = negative ? "-" : (spec.plus ? "+" : (spec.space ? " " : ""));
  return pad(sign + prefix + digits, spec, spec.precision < 0);
}

// strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, f, g (prec -1: shortest).
std::string format_float_go(double v, char fmt, int prec) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[512];
  if (fmt == 'g' || fmt == 'G') {
    // Shortest digits and their decimal exponent decide between %e and %f as Go does.
    auto res = prec < 0 ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific)
                        : std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, std::max(prec - 1, 0));
    std::string sci(buf, res.ptr);
    const auto e_at = sci.find('e');
    const int exp = std::stoi(sci.substr(e_at + 1));
    std::string mantissa = sci.substr(0, e_at);
    std::string digits;
    for (char c : mantissa)
      if (c >= '0' && c <= '9') digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    const int nd = static_cast<int>(digits.size());
    const int dp = exp + 1;  // digits before the decimal point
    // strconv's rule: shortest output switches to %e from exponent 6 on; an explicit precision
    // switches at the precision, or at the digit count when every digit is before the point.
    int eprec = prec < 0 ? 6 : std::max(prec, 1);
    if (prec >= 0 && eprec > nd && nd >= dp) eprec = nd;
    std::string out = std::signbit(v) ? "-" : "";
    if (exp < -4 || exp >= eprec) {
      out += digits.substr(0, 1);
      if (digits.size() > 1) out += "." + digits.substr(1);
      const int a = std::abs(exp);
      out += fmt == 'G' ? "E" : "e";
      out += exp < 0 ? "-" : "+";
      if (a < 10) out += "0";
      out += std::to_string(a);
      return out;
    }
    if (exp < 0) {
      out += "0.";
      out.append(-exp - 1, '0');
      out += digits;
    } else if (static_cast<int>(digits.size()) <= exp + 1) {
      out += digits + std::string(exp + 1 - digits.size(), '0');
    } else {
      out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
    }
    return out;
  }
  const auto format = fmt == 'f' ? std::chars_format::fixed : std::chars_format::scientific;
  auto res = std::to_chars(buf, buf + sizeof buf, v, format, prec < 0 ? 6 : prec);
  std::string out(buf, res.ptr);
  if (fmt == 'e') {
    // C writes at least two exponent digits, as Go does.
    return out;
  }
  return out;
}

std::string format_float(const Value& v, const Spec& spec) {
  const double f = v.as_float();
  std::string body;
  switch (spec.verb) {
    case 'v':
    case 'g':
      body = format_float_go(f, 'g', spec.precision);
      break;
    case 'G':
      body = format_float_go(f, 'G', spec.precision);
      break;
    case 'f':
    case 'F':
      body = format_float_go(f, 'f', spec.precision);
      break;
    case 'e':
      body = format_float_go(f, 'e', spec.precision);
      break;
    default:
      return bad_verb(v, spec);
  }
  if (spec.plus && body[0] != '-' && body[0] != '+') body = "+" + body;
  if (!spec.plus && body[0] == '+') body.erase(0, 1);  // "+Inf" only with the plus flag
  if (spec.space && body[0] != '-' && body[0] != '+') body = " " + body;
  return pad(body, spec, std::isfinite(f));
}

bool can_backquote(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const int32_t r = decode_rune(s, i, len);
    if (r < 0 || r == '`' || r == 0xfeff || (r < ' ' && r != '\t') || r == 0x7f) return false;
    i += len;
  }
  return true;
}

std::string format_string(const std::string& s, const Value& v, const Spec& spec) {
  switch (spec.verb) {
    case 'v':
      if (spec.sharp) return pad(go_quote(s), spec, false);
      [[fallthrough]];
    case 's': {
      if (spec.precision < 0) return pad(s, spec, false);
      std::string cut;
      size_t runes = 0;
      for (size_t i = 0; i < s.size() && runes < static_cast<size_t>(spec.precision); ++runes) {
        size_t len = 1;
        decode_rune(s, i, len);
        cut.append(s, i, len);
        i += len;
      }
      return pad(cut, spec, false);
    }
    case 'q':
      if (spec.sharp && can_backquote(s)) return pad("`" + s + "`", spec, false);
      return pad(go_quote(s), spec, false);
    case 'x':
    case 'X': {
      std::string out;
      const char* digits = spec.verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
      for (size_t i = 0; i < s.size(); ++i) {
        if (spec.space && i > 0) out += ' ';
        if (spec.sharp && (spec.space || i == 0)) out += spec.verb == 'X' ? "0X" : "0x";
        const auto b = static_cast<unsigned char>(s[i]);
        out += digits[b >> 4];
        out += digits[b & 0xf];
      }
      return pad(out, spec, false);
    }
    default:
      return bad_verb(v, spec);
  }
}

std::string format_composite(const Value& v, const Spec& spec) {
  const bool go_syntax = spec.verb == 'v' && spec.sharp;
  std::string out;
  if (v.kind() == Value::Kind::List) {
    if (go_syntax) {
      out = type_name(v) + "{";
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ", ";
        out += format(v.items()[i], spec);
      }
      return out + "}";
    }
    out = "[";
    for (size_t i = 0; i < v.items().size(); ++i) {
      if (i) out += " ";
      out += format(v.items()[i], spec);
    }
    return out + "]";
  }
  if (v.kind() == Value::Kind::Map) {
    if (go_syntax) {
      out = type_name(v) + "{";
      for (size_t i = 0; i < v.fields().size(); ++i) {
        if (i) out += ", ";
        out += go_quote(v.fields()[i].name) + ":" + format(v.fields()[i].value, spec);
      }
      return out + "}";
    }
    out = "map[";
    for (size_t i = 0; i < v.fields().size(); ++i) {
      if (i) out += " ";
      out += format(Value::string(v.fields()[i].name), spec) + ":" + format(v.fields()[i].value, spec);
    }
    return out + "]";
  }
  // Struct
  if (go_syntax) {
    out = v.type() + "{";
    for (size_t i = 0; i < v.fields().size(); ++i) {
      if (i) out += ", ";
      out += v.fields()[i].name + ":" + format(v.fields()[i].value, spec);
    }
    return out + "}";
  }
  out = "{";
  for (size_t i = 0; i < v.fields().size(); ++i) {
    out += i ? " " : "";
    if (spec.plus) out += v.fields()[i].name + ":";
    out += format(v.fields()[i].value, spec);
  }
  return out + "}";
}

std::string format(const Value& v, const Spec& spec) {
  if (spec.verb == 'T') return pad(type_name(v), spec, false);
  switch (v.kind()) {
    case Value::Kind::Nil:
      if (spec.verb == 'v') return pad(spec.sharp ? "interface {}(nil)" : "<nil>", spec, false);
      return bad_verb(v, spec);
    case Value::Kind::Bool:
      if (spec.verb == 'v' || spec.verb == 't') return pad(v.as_bool() ? "true" : "false", spec, false);
      return bad_verb(v, spec);
    case Value::Kind::Int: {
      const int64_t i = v.as_int();
      const uint64_t magnitude = i < 0 ? uint64_t{0} - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
      return format_integer(i < 0, magnitude, v, spec);
    }
    case Value::Kind::Uint:
      return format_integer(false, v.as_uint(), v, spec);
    case Value::Kind::Float:
      return format_float(v, spec);
    case Value::Kind::String:
      return format_string(v.as_string(), v, spec);
    case Value::Kind::List:
    case Value::Kind::Map:
    case Value::Kind::Struct:
      return format_composite(v, spec);
    case Value::Kind::Stringer:
      if (spec.verb == 'v' && spec.sharp) {
        if (!v.go_syntax().empty()) return pad(v.go_syntax(), spec, false);
        return format(v.underlying(), spec);
      }
      if (spec.verb == 'v' || spec.verb == 's' || spec.verb == 'q' || spec.verb == 'x' || spec.verb == 'X') {
        return format_string(v.as_string(), v, spec);
      }
      return format(v.underlying(), spec);
  }
  return "";
}

void json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    const int32_t r = decode_rune(s, i, len);
    if (r < 0) {
      out += "\\ufffd";
    } else if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (r == '\n') {
      out += "\\n";
    } else if (r == '\r') {
      out += "\\r";
    } else if (r == '\t') {
      out += "\\t";
    } else if (r < 0x20 || r == '<' || r == '>' || r == '&') {
      out += "\\u00";
      out += kHex[r >> 4];
      out += kHex[r & 0xf];
    } else if (r == 0x2028 || r == 0x2029) {
      out += r == 0x2028 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  out += '"';
}

bool json_empty(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Struct:
      return false;
    case Value::Kind::Stringer:
      return v.underlying().kind() != Value::Kind::Struct && !v.underlying().truthy() &&
             v.underlying().kind() != Value::Kind::String;
    default:
      return !v.truthy();
  }
}

void json_value(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      out += "null";
      return;
    case Value::Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::Int:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::Uint:
      out += std::to_string(v.as_uint());
      return;
    case Value::Kind::Float: {
      Spec g;
      g.verb = 'g';
      out += format(v, g);
      return;
    }
    case Value::Kind::String:
      json_string(out, v.as_string());
      return;
    case Value::Kind::List:
      out += '[';
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ',';
        json_value(out, v.items()[i]);
      }
      out += ']';
      return;
    case Value::Kind::Map:
    case Value::Kind::Struct: {
      out += '{';
      bool first = true;
      for (const auto& f : v.fields()) {
        if (f.name == "_" || (f.omit_empty && json_empty(f.value))) continue;
        if (!first) out += ',';
        first = false;
        json_string(out, f.json_key.empty() ? f.name : f.json_key);
        out += ':';
        json_value(out, f.value);
      }
      out += '}';
      return;
    }
    case Value::Kind::Stringer:
      json_value(out, v.underlying());
      return;
  }
}

}  // namespace

std::string go_quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    const int32_t r = decode_rune(text, i, len);
    const auto byte = static_cast<unsigned char>(text[i]);
    if (r < 0) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (r == '\a') {
      out += "\\a";
    } else if (r == '\b') {
      out += "\\b";
    } else if (r == '\f') {
      out += "\\f";
    } else if (r == '\n') {
      out += "\\n";
    } else if (r == '\r') {
      out += "\\r";
    } else if (r == '\t') {
      out += "\\t";
    } else if (r == '\v') {
      out += "\\v";
    } else if (r < 0x20 || r == 0x7f) {
      out += "\\x";
      out += kHex[r >> 4];
      out += kHex[r & 0xf];
    } else if ((r >= 0x80 && r < 0xa0) || r == 0xad || r == 0xfeff || r == 0x2028 || r == 0x2029) {
      // Not printable in Go's unicode.IsPrint (C1 controls, soft hyphen, BOM, separators).
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(r));
      out += buf;
    } else {
      out.append(text, i, len);
    }
    i += len;
  }
  return out + "\"";
}

std::string go_sprint(const std::vector<Value>& args) {
  std::string out;
  Spec plain;
  for (size_t i = 0; i < args.size(); ++i) {
    const bool is_string = args[i].kind() == Value::Kind::String;
    if (i > 0 && !is_string && args[i - 1].kind() != Value::Kind::String) out += ' ';
    out += format(args[i], plain);
  }
  return out;
}

std::string go_sprintln(const std::vector<Value>& args) {
  std::string out;
  Spec plain;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) out += " ";
    out += format(args[i], plain);
  }
  return out + "\n";
}

std::string go_sprintf(std::string_view f, const std::vector<Value>& args) {
  std::string out;
  size_t arg = 0;
  size_t i = 0;
  while (i < f.size()) {
    if (f[i] != '%') {
      out += f[i++];
      continue;
    }
    ++i;
    Spec spec;
    for (; i < f.size(); ++i) {
      const char c = f[i];
      if (c == '-') {
        spec.minus = true;
        spec.zero = false;
      } else if (c == '+') {
        spec.plus = true;
      } else if (c == '#') {
        spec.sharp = true;
      } else if (c == '0') {
        spec.zero = !spec.minus;
      } else if (c == ' ') {
        spec.space = true;
      } else {
        break;
      }
    }
    auto number = [&](int& target) {
      if (i < f.size() && f[i] == '*') {
        ++i;
        if (arg < args.size() && args[arg].kind() == Value::Kind::Int) {
          target = static_cast<int>(args[arg].as_int());
          if (target < 0 && &target == &spec.width) {
            spec.minus = true;
            target = -target;
          }
        } else {
          out += "%!(BADWIDTH)";
        }
        ++arg;
        return;
      }
      if (i < f.size() && f[i] >= '0' && f[i] <= '9') {
        target = 0;
        while (i < f.size() && f[i] >= '0' && f[i] <= '9') target = target * 10 + (f[i++] - '0');
      }
    };
    number(spec.width);
    if (i < f.size() && f[i] == '.') {
      ++i;
      spec.precision = 0;
      number(spec.precision);
    }
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    size_t len = 1;
    const int32_t verb = decode_rune(f, i, len);
    i += len;
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (verb < 0 || verb > 0x7f) {
      out += "%!";
      out.append(f.substr(i - len, len));
      out += "(BADVERB)";
      continue;
    }
    spec.verb = static_cast<char>(verb);
    if (arg >= args.size()) {
      out += std::string("%!") + spec.verb + "(MISSING)";
      continue;
    }
    if (spec.verb == 'v' && spec.plus && args[arg].kind() != Value::Kind::Struct) {
      // %+v means field names on structs only; on numbers it is the sign flag as well.
    }
    out += format(args[arg++], spec);
  }
  if (arg < args.size()) {
    out += "%!(EXTRA ";
    Spec plain;
    for (size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out += ", ";
      out += type_name(args[k]) + "=" + format(args[k], plain);
    }
    out += ")";
  }
  return out;
}

std::string go_json(const Value& value) {
  std::string out;
  json_value(out, value);
  return out;
}

}  // namespace dm::tmpl
