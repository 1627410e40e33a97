// Template: Go's text/template, the subset datamon's --format users write.
//
// Implemented: text and {{actions}}; trim markers "{{- " and " -}}"; comments {{/* */}};
// fields and chains (.A.B, $.A, $x.A, (pipeline).A), map keys; pipelines with "|"; variables
// ($x := p, $x = p, {{range $i, $e := p}}); if / else if / else, range (lists, maps by key,
// integers) with else, break and continue, with / else; constants (strings with Go escapes,
// raw strings, numbers, true, false, nil); the builtins and, or, not, len, index, print,
// printf, println, eq, ne, lt, le, gt, ge; and `json` (encoding/json of its argument, an
// extension: Go datamon has none). Not implemented: define, template, block, method calls with
// arguments, slice, html, js, urlquery, call.
//
// Output matches Go's for the same data (see value.h for how Go values are modelled). A parse
// error is an InvalidArgument "template: NAME:LINE: message"; an execution error is
// "template: NAME:LINE:COL: executing "NAME" at <node>: message", as Go writes them.
// A parsed Template is immutable and may be executed from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/template/value.h"

namespace dm::tmpl {

struct TemplateTree;

class Template {
 public:
  static Template parse(const std::string& name, std::string_view text);
  std::string execute(const Value& dot) const;
  const std::string& name() const;

 private:
  explicit Template(std::shared_ptr<const TemplateTree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const TemplateTree> tree_;
};

}  // namespace dm::tmpl
