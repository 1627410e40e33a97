#include "bin/output.h"

#include <iostream>

#include "common/template/go_fmt.h"
#include "common/util/error.h"

namespace dm::cli {

void exit_not_found(const std::string& what, const std::string& name) {
  throw ExitStatus{kExitNotFound, "didn't find " + what + " " + tmpl::go_quote(name)};
}

void add_format_flag(CLI::App& cmd, std::string& target) {
  cmd.add_option("--format", target,
                 "Pretty-print datamon objects using a Go template. Use '{{ printf \"%#v\" . }}' to explore available "
                 "fields");
}

tmpl::Template output_template(const std::string& user, const std::string& name, const std::string& go_default) {
  try {
    return tmpl::Template::parse(name, user.empty() ? go_default : user);
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidArgument, std::string("invalid template: ") + e.what());
  }
}

void print_line(const tmpl::Template& t, const tmpl::Value& v) {
  std::string text;
  try {
    text = t.execute(v);
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidArgument, std::string("executing template: ") + e.what());
  }
  text += '\n';
  std::cout << text;
}

}  // namespace dm::cli
