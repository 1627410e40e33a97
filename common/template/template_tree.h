// The parse tree of a Template (internal to common/template): what template_parse.cpp builds
// and template.cpp executes. Positions are byte offsets into the template text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/template/value.h"

namespace dm::tmpl {

struct Pipeline;

struct Operand {
  enum class Kind { Dot, Field, Variable, Function, Constant, Pipeline };
  Kind kind = Kind::Dot;
  size_t pos = 0;
  std::string text;                // source text, for error messages
  std::string name;                // variable ("$x", "$") or function name
  std::vector<std::string> chain;  // field names after the operand (.A.B)
  Value constant;                  // Constant
  std::shared_ptr<Pipeline> pipe;  // Pipeline (parenthesized)
};

struct Command {
  size_t pos = 0;
  std::vector<Operand> args;
};

struct Pipeline {
  size_t pos = 0;
  std::vector<std::string> decl;  // variables declared (or assigned)
  bool assign = false;            // "=" rather than ":="
  std::vector<Command> commands;
};

struct Node {
  enum class Kind { Text, Action, If, Range, With, Break, Continue };
  Kind kind = Kind::Text;
  size_t pos = 0;
  std::string text;  // Text
  Pipeline pipe;     // Action, If, Range, With
  std::vector<Node> list;
  std::vector<Node> else_list;
};

struct TemplateTree {
  std::string name;
  std::string source;
  std::vector<Node> root;
};

}  // namespace dm::tmpl
