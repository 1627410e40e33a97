// `datamon version` (and `--version`): Go's VersionInfo through its template.
#include "bin/cli.h"
#include "bin/output.h"

namespace dm::cli {

namespace {
// Go's default template (cmd/datamon/cmd/version.go).
constexpr const char* kVersion =
    "Version: {{.Version}}\nBuildDate: {{.BuildDate}}\nCommit: {{.GitCommit}}\nWorking tree: {{.GitState}}";
}  // namespace

tmpl::Value version_info() {
  using tmpl::Value;
  return Value::structure("cmd.VersionInfo", {{"Version", Value::string(DATAMON_VERSION), "version", true},
                                              {"BuildDate", Value::string(""), "buildDate", true},
                                              {"GitCommit", Value::string(""), "gitCommit", true},
                                              {"GitState", Value::string("clean"), "gitState", true}});
}

void add_version_command(CLI::App& app) {
  auto format = std::make_shared<std::string>();
  auto* version = app.add_subcommand("version", "prints the version of datamon");
  add_format_flag(*version, *format);
  version->callback([format] { print_line(output_template(*format, "version", kVersion), version_info()); });
}

}  // namespace dm::cli
