// Lexing and parsing a Go text/template into a TemplateTree (template_tree.h).
#include <cctype>
#include <cstdlib>
#include <set>

#include "common/template/template.h"
#include "common/template/template_tree.h"
#include "common/util/error.h"
#include "common/util/utf8.h"

namespace dm::tmpl {

namespace {

const std::set<std::string>& builtin_names() {
  static const std::set<std::string> names{"and", "or", "not", "len", "index", "print", "printf", "println",
                                           "eq",  "ne", "lt",  "le",  "gt",    "ge",    "json"};
  return names;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct Token {
  enum class Kind { Ident, Field, Dot, Variable, Constant, LParen, RParen, Pipe, Declare, Assign, Comma };
  Kind kind;
  std::string text;  // source text
  size_t pos;
  bool spaced;  // whitespace (or nothing) before it: a Field not spaced continues the previous term
  Value constant;
};

struct Item {
  bool is_text;
  std::string text;
  size_t pos;
  std::vector<Token> tokens;
};

class Parser {
 public:
  Parser(const std::string& name, const std::string& src) : name_(name), src_(src) {}

  std::vector<Node> parse() {
    lex();
    size_t i = 0;
    std::string end;
    auto list = parse_list(i, end);
    if (!end.empty()) fail(items_[i - 1].pos, "unexpected {{" + end + "}}");
    return list;
  }

 private:
  [[noreturn]] void fail(size_t pos, const std::string& message) const {
    size_t line = 1;
    for (size_t k = 0; k < pos && k < src_.size(); ++k) line += src_[k] == '\n';
    throw Error(ErrorKind::InvalidArgument, "template: " + name_ + ":" + std::to_string(line) + ": " + message);
  }

  // --- lexing: text and actions, trim markers applied here ---
  void lex() {
    size_t pos = 0;
    bool trim_next = false;
    while (pos <= src_.size()) {
      const size_t open = src_.find("{{", pos);
      std::string text = src_.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
      if (trim_next) {
        size_t k = 0;
        while (k < text.size() && is_space(text[k])) ++k;
        text.erase(0, k);
      }
      if (open == std::string::npos) {
        if (!text.empty()) items_.push_back(Item{true, text, pos, {}});
        return;
      }
      size_t in = open + 2;
      if (in + 1 < src_.size() && src_[in] == '-' && is_space(src_[in + 1])) {
        while (!text.empty() && is_space(text.back())) text.pop_back();
        in += 2;
      }
      if (!text.empty()) items_.push_back(Item{true, text, pos, {}});
      while (in < src_.size() && is_space(src_[in])) ++in;
      if (src_.compare(in, 2, "/*") == 0) {
        const size_t close = src_.find("*/", in + 2);
        if (close == std::string::npos) fail(open, "unclosed comment");
        size_t after = close + 2;
        trim_next = false;
        if (src_.compare(after, 4, " -}}") == 0) {
          trim_next = true;
          after += 4;
        } else if (src_.compare(after, 2, "}}") == 0) {
          after += 2;
        } else {
          fail(open, "comment ends before closing delimiter");
        }
        pos = after;
        continue;
      }
      Item action{false, "", open, {}};
      pos = lex_action(in, action.tokens, trim_next);
      items_.push_back(std::move(action));
    }
  }

  // Lexes tokens from `pos` up to and including the closing delimiter; returns the offset after it.
  size_t lex_action(size_t pos, std::vector<Token>& tokens, bool& trim_right) {
    bool spaced = true;
    while (true) {
      if (pos >= src_.size()) fail(pos, "unclosed action");
      const char c = src_[pos];
      if (is_space(c)) {
        if (src_.compare(pos, 4, " -}}") == 0 || src_.compare(pos + 1, 3, "-}}") == 0) {
          size_t k = pos;
          while (k < src_.size() && is_space(src_[k])) ++k;
          if (src_.compare(k, 3, "-}}") == 0) {
            trim_right = true;
            return k + 3;
          }
        }
        ++pos;
        spaced = true;
        continue;
      }
      if (src_.compare(pos, 2, "}}") == 0) {
        trim_right = false;
        return pos + 2;
      }
      Token t{Token::Kind::Ident, "", pos, spaced, Value()};
      spaced = false;
      const size_t start = pos;
      if (c == '(' || c == ')' || c == '|' || c == ',' || c == '=') {
        t.kind = c == '('   ? Token::Kind::LParen
                 : c == ')' ? Token::Kind::RParen
                 : c == '|' ? Token::Kind::Pipe
                 : c == ',' ? Token::Kind::Comma
                            : Token::Kind::Assign;
        ++pos;
      } else if (c == ':' && src_.compare(pos, 2, ":=") == 0) {
        t.kind = Token::Kind::Declare;
        pos += 2;
      } else if (c == '"' || c == '`') {
        t.kind = Token::Kind::Constant;
        t.constant = Value::string(c == '"' ? lex_quoted(pos) : lex_raw(pos));
      } else if (c == '\'') {
        t.kind = Token::Kind::Constant;
        std::string s = lex_quoted(pos);
        size_t len = 0;
        int32_t r = static_cast<unsigned char>(s.empty() ? 0 : s[0]);
        if (!s.empty() && (s[0] & 0x80)) r = decode_first_rune(s, len);
        t.constant = Value::integer(r);
      } else if (c == '.' && !(pos + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos + 1])))) {
        ++pos;
        if (pos < src_.size() && (std::isalpha(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) {
          t.kind = Token::Kind::Field;
          while (pos < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) ++pos;
        } else {
          t.kind = Token::Kind::Dot;
        }
      } else if (c == '$') {
        t.kind = Token::Kind::Variable;
        ++pos;
        while (pos < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) ++pos;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
                 ((c == '-' || c == '+') && pos + 1 < src_.size() &&
                  (std::isdigit(static_cast<unsigned char>(src_[pos + 1])) || src_[pos + 1] == '.'))) {
        t.kind = Token::Kind::Constant;
        ++pos;
        while (pos < src_.size() &&
               (std::isalnum(static_cast<unsigned char>(src_[pos])) || src_[pos] == '.' || src_[pos] == '_' ||
                ((src_[pos] == '-' || src_[pos] == '+') &&
                 (src_[pos - 1] == 'e' || src_[pos - 1] == 'E' || src_[pos - 1] == 'p'))))
          ++pos;
        t.constant = number(src_.substr(start, pos - start), start);
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (pos < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) ++pos;
        const std::string word = src_.substr(start, pos - start);
        if (word == "true" || word == "false") {
          t.kind = Token::Kind::Constant;
          t.constant = Value::boolean(word == "true");
        }
      } else {
        fail(pos, std::string("unexpected ") + go_char(c) + " in command");
      }
      t.text = src_.substr(start, pos - start);
      tokens.push_back(std::move(t));
    }
  }

  static std::string go_char(char c) { return std::string("\"") + c + "\""; }

  static int32_t decode_first_rune(const std::string& s, size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[0]);
    int need = (b0 & 0xe0) == 0xc0 ? 1 : (b0 & 0xf0) == 0xe0 ? 2 : 3;
    int32_t r = b0 & (need == 1 ? 0x1f : need == 2 ? 0x0f : 0x07);
    for (int k = 1; k <= need && k < static_cast<int>(s.size()); ++k) r = (r << 6) | (s[k] & 0x3f);
    len = need + 1;
    return r;
  }

  Value number(const std::string& text, size_t pos) const {
    std::string clean;
    for (char ch : text)
      if (ch != '_') clean += ch;
    const bool is_hex = clean.find("0x") != std::string::npos || clean.find("0X") != std::string::npos;
    if (!is_hex && clean.find_first_of(".eE") != std::string::npos) {
      char* end = nullptr;
      const double d = std::strtod(clean.c_str(), &end);
      if (*end != '\0') fail(pos, "bad number syntax: \"" + text + "\"");
      return Value::floating(d);
    }
    char* end = nullptr;
    errno = 0;
    std::string digits = clean;
    int base = 10;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
      negative = digits[0] == '-';
      digits.erase(0, 1);
    }
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
      base = 16;
      digits.erase(0, 2);
    } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
      base = 8;
      digits.erase(0, 2);
    } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
      base = 2;
      digits.erase(0, 2);
    } else if (digits.size() > 1 && digits[0] == '0') {
      base = 8;
    }
    const unsigned long long v = std::strtoull(digits.c_str(), &end, base);
    if (digits.empty() || *end != '\0' || errno == ERANGE) fail(pos, "bad number syntax: \"" + text + "\"");
    if (negative) return Value::integer(-static_cast<int64_t>(v));
    return Value::integer(static_cast<int64_t>(v));
  }

  std::string lex_raw(size_t& pos) {
    const size_t close = src_.find('`', pos + 1);
    if (close == std::string::npos) fail(pos, "unterminated raw quoted string");
    std::string s = src_.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    return s;
  }

  // A Go interpreted string or rune literal starting at `pos` (its quote); Go's escapes.
  std::string lex_quoted(size_t& pos) {
    const char quote = src_[pos];
    std::string out;
    size_t k = pos + 1;
    while (true) {
      if (k >= src_.size() || src_[k] == '\n') fail(pos, "unterminated quoted string");
      const char ch = src_[k];
      if (ch == quote) break;
      if (ch != '\\') {
        out += ch;
        ++k;
        continue;
      }
      if (k + 1 >= src_.size()) fail(pos, "unterminated quoted string");
      const char e = src_[k + 1];
      k += 2;
      auto hex = [&](int n) {
        uint32_t v = 0;
        for (int d = 0; d < n; ++d, ++k) {
          if (k >= src_.size() || !std::isxdigit(static_cast<unsigned char>(src_[k])))
            fail(pos, "invalid syntax in quoted string");
          const char h = src_[k];
          v = v * 16 + (std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
        }
        return v;
      };
      switch (e) {
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '"':
          out += '"';
          break;
        case '\'':
          out += '\'';
          break;
        case 'x':
          out += static_cast<char>(hex(2));
          break;
        case 'u':
        case 'U': {
          const uint32_t r = hex(e == 'u' ? 4 : 8);
          dm::append_utf8(out, r);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = e - '0';
            for (int d = 0; d < 2; ++d, ++k) {
              if (k >= src_.size() || src_[k] < '0' || src_[k] > '7') fail(pos, "invalid syntax in quoted string");
              v = v * 8 + (src_[k] - '0');
            }
            out += static_cast<char>(v);
            break;
          }
          fail(pos, "invalid syntax in quoted string");
      }
    }
    pos = k + 1;
    return out;
  }

  // --- parsing ---

  static bool is_keyword(const Item& item, const char* word) {
    return !item.is_text && !item.tokens.empty() && item.tokens[0].kind == Token::Kind::Ident &&
           item.tokens[0].text == word;
  }

  // Parses nodes until {{end}} or {{else ...}} (returned in `end`, the item consumed) or EOF.
  std::vector<Node> parse_list(size_t& i, std::string& end) {
    std::vector<Node> list;
    end.clear();
    while (i < items_.size()) {
      const Item& item = items_[i++];
      if (item.is_text) {
        Node n;
        n.kind = Node::Kind::Text;
        n.pos = item.pos;
        n.text = item.text;
        list.push_back(std::move(n));
        continue;
      }
      if (item.tokens.empty()) fail(item.pos, "missing value for command");
      const Token& first = item.tokens[0];
      if (first.kind == Token::Kind::Ident) {
        const std::string& w = first.text;
        if (w == "end" || w == "else") {
          end = w;
          return list;
        }
        if (w == "if" || w == "range" || w == "with") {
          list.push_back(parse_control(w, item, 1, i));
          continue;
        }
        if (w == "break" || w == "continue") {
          if (range_depth_ == 0) fail(item.pos, "{{" + w + "}} outside {{range}}");
          if (item.tokens.size() > 1) fail(item.pos, "unexpected " + item.tokens[1].text + " in {{" + w + "}}");
          Node n;
          n.kind = w == "break" ? Node::Kind::Break : Node::Kind::Continue;
          n.pos = item.pos;
          list.push_back(std::move(n));
          continue;
        }
        if (w == "define" || w == "template" || w == "block") {
          fail(item.pos, "{{" + w + "}} is not supported by this implementation");
        }
        if (w == "nil") fail(item.pos, "nil is not a command");
      }
      Node n;
      n.kind = Node::Kind::Action;
      n.pos = item.pos;
      size_t t = 0;
      n.pipe = parse_pipeline(item.tokens, t, "command", false);
      if (t != item.tokens.size()) fail(item.tokens[t].pos, "unexpected " + item.tokens[t].text + " in command");
      list.push_back(std::move(n));
    }
    return list;
  }

  // if / range / with, from token `t` of `item` (after the keyword); consumes through {{end}}.
  Node parse_control(const std::string& word, const Item& item, size_t t, size_t& i) {
    Node n;
    n.kind = word == "if" ? Node::Kind::If : word == "range" ? Node::Kind::Range : Node::Kind::With;
    n.pos = item.pos;
    n.pipe = parse_pipeline(item.tokens, t, word, word == "range");
    if (t != item.tokens.size()) fail(item.tokens[t].pos, "unexpected " + item.tokens[t].text + " in " + word);
    if (n.pipe.commands.empty()) fail(item.pos, "missing value for " + word);
    if (n.kind == Node::Kind::Range) ++range_depth_;
    std::string end;
    n.list = parse_list(i, end);
    if (n.kind == Node::Kind::Range) --range_depth_;
    if (end.empty()) fail(src_.size(), "unexpected EOF");
    if (end == "else") {
      const Item& else_item = items_[i - 1];
      if (else_item.tokens.size() > 1) {
        const auto& next = else_item.tokens[1];
        if (next.kind != Token::Kind::Ident || (next.text != "if" && next.text != "with") ||
            (next.text == "with") != (word == "with"))
          fail(else_item.pos, "unexpected " + next.text + " in else");
        // {{else if p}} is {{else}}{{if p}}...{{end}} sharing the outer {{end}}.
        n.else_list.push_back(parse_control(next.text, else_item, 2, i));
        return n;
      }
      n.else_list = parse_list(i, end);
      if (end.empty()) fail(src_.size(), "unexpected EOF");
      if (end != "end") fail(items_[i - 1].pos, "expected end; found {{else}}");
    }
    return n;
  }

  Pipeline parse_pipeline(const std::vector<Token>& tokens, size_t& t, const std::string& context, bool in_range) {
    Pipeline p;
    p.pos = t < tokens.size() ? tokens[t].pos : 0;
    // Declarations: $x :=, $x =, and in range $i, $e :=
    if (t < tokens.size() && tokens[t].kind == Token::Kind::Variable) {
      size_t k = t;
      std::vector<std::string> names{tokens[k].text};
      ++k;
      if (in_range && k + 1 < tokens.size() && tokens[k].kind == Token::Kind::Comma &&
          tokens[k + 1].kind == Token::Kind::Variable) {
        names.push_back(tokens[k + 1].text);
        k += 2;
      }
      if (k < tokens.size() && (tokens[k].kind == Token::Kind::Declare || tokens[k].kind == Token::Kind::Assign)) {
        p.assign = tokens[k].kind == Token::Kind::Assign;
        if (!p.assign) {
          for (const auto& v : names) declared_.insert(v);
        }
        p.decl = names;
        t = k + 1;
      }
    }
    while (t < tokens.size() && tokens[t].kind != Token::Kind::RParen) {
      Command c;
      c.pos = tokens[t].pos;
      while (t < tokens.size() && tokens[t].kind != Token::Kind::Pipe && tokens[t].kind != Token::Kind::RParen) {
        c.args.push_back(parse_operand(tokens, t));
      }
      if (c.args.empty()) fail(c.pos, "missing value for command");
      p.commands.push_back(std::move(c));
      if (t < tokens.size() && tokens[t].kind == Token::Kind::Pipe) {
        ++t;
        if (t >= tokens.size() || tokens[t].kind == Token::Kind::RParen) fail(tokens[t - 1].pos, "missing command");
      }
    }
    if (p.commands.empty() && context == "command") fail(p.pos, "missing value for command");
    for (size_t k = 1; k < p.commands.size(); ++k) {
      const auto& a = p.commands[k].args[0];
      if (a.kind == Operand::Kind::Constant || a.kind == Operand::Kind::Dot)
        fail(a.pos, "non executable command in pipeline stage " + std::to_string(k + 1));
    }
    return p;
  }

  Operand parse_operand(const std::vector<Token>& tokens, size_t& t) {
    const Token& tok = tokens[t];
    Operand op;
    op.pos = tok.pos;
    const size_t start_pos = tok.pos;
    switch (tok.kind) {
      case Token::Kind::Dot:
        op.kind = Operand::Kind::Dot;
        ++t;
        break;
      case Token::Kind::Field:
        op.kind = Operand::Kind::Field;
        op.chain.push_back(tok.text.substr(1));
        ++t;
        break;
      case Token::Kind::Variable:
        op.kind = Operand::Kind::Variable;
        op.name = tok.text;
        if (op.name != "$" && !declared_.count(op.name)) fail(tok.pos, "undefined variable \"" + op.name + "\"");
        ++t;
        break;
      case Token::Kind::Constant:
        op.kind = Operand::Kind::Constant;
        op.constant = tok.constant;
        ++t;
        break;
      case Token::Kind::Ident:
        if (tok.text == "nil") {
          op.kind = Operand::Kind::Constant;
          ++t;
          break;
        }
        if (!builtin_names().count(tok.text)) fail(tok.pos, "function \"" + tok.text + "\" not defined");
        op.kind = Operand::Kind::Function;
        op.name = tok.text;
        ++t;
        break;
      case Token::Kind::LParen: {
        op.kind = Operand::Kind::Pipeline;
        ++t;
        op.pipe = std::make_shared<Pipeline>(parse_pipeline(tokens, t, "parenthesized pipeline", false));
        if (t >= tokens.size() || tokens[t].kind != Token::Kind::RParen) fail(tok.pos, "unclosed left paren");
        if (op.pipe->commands.empty()) fail(tok.pos, "missing value for parenthesized pipeline");
        ++t;
        break;
      }
      default:
        fail(tok.pos, "unexpected \"" + tok.text + "\" in operand");
    }
    // Fields directly after a term (no space) continue it: $x.A, (p).B, .A.B
    while (t < tokens.size() && tokens[t].kind == Token::Kind::Field && !tokens[t].spaced) {
      if (op.kind == Operand::Kind::Constant || op.kind == Operand::Kind::Function)
        fail(tokens[t].pos, "unexpected . after term \"" + tok.text + "\"");
      op.chain.push_back(tokens[t].text.substr(1));
      ++t;
    }
    const size_t last = tokens[t - 1].pos + tokens[t - 1].text.size();
    op.text = src_.substr(start_pos, std::max(last, start_pos) - start_pos);
    return op;
  }

  const std::string& name_;
  const std::string& src_;
  std::vector<Item> items_;
  std::set<std::string> declared_;
  int range_depth_ = 0;
};

}  // namespace

Template Template::parse(const std::string& name, std::string_view text) {
  auto tree = std::make_shared<TemplateTree>();
  tree->name = name;
  tree->source = std::string(text);
  Parser parser(tree->name, tree->source);
  tree->root = parser.parse();
  return Template(std::move(tree));
}

const std::string& Template::name() const {
  return tree_->name;
}

}  // namespace dm::tmpl
