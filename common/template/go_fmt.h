// Go's fmt and encoding/json over template Values: what text/template's print, printf,
// println and the printing of an action's value produce, byte for byte for the verbs datamon
// users write (%v %+v %#v %s %q %d %t %x %X %o %b %c %f %e %g, flags "-+# 0", width and
// precision, "*" widths). A verb that does not fit its operand prints Go's "%!d(string=x)"
// marker rather than failing, as Go does. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/template/value.h"

namespace dm::tmpl {

std::string go_sprint(const std::vector<Value>& args);    // fmt.Sprint
std::string go_sprintln(const std::vector<Value>& args);  // fmt.Sprintln
std::string go_sprintf(std::string_view format, const std::vector<Value>& args);
// encoding/json.Marshal: struct fields under their JSON keys, omitempty honoured, HTML
// characters escaped as Go does (<, >, & as \u003c, \u003e, \u0026).
std::string go_json(const Value& value);
// strconv.Quote.
std::string go_quote(std::string_view text);

}  // namespace dm::tmpl
