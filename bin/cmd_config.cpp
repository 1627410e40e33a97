// `datamon config set`: writes the user's config file as Go does (a YAML CLIConfig).
#include <iostream>

#include "bin/cli.h"
#include "common/model/go_yaml.h"
#include "common/util/error.h"
#include "common/util/files.h"

namespace dm::cli {

namespace {

// Go's CLIConfig through yaml.v2: credential, email, name, config, context (metrics omitted
// when unset). Email and name are not taken from flags by Go's `config set`: written empty.
std::string cli_config_yaml(const config::Config& c) {
  std::string out;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"credential", c.store.credential_file},
                                   {"email", ""},
                                   {"name", ""},
                                   {"config", c.config_bucket},
                                   {"context", c.context}}) {
    out += key + ": ";
    model::append_yaml_string(out, value, static_cast<int>(key.size()) + 2, 0);
    out += '\n';
  }
  return out;
}

}  // namespace

void add_config_commands(CLI::App& app, GlobalOptions& global) {
  auto* cfg = app.add_subcommand("config", "Commands to manage the config file");
  cfg->require_subcommand(1);
  auto* set = cfg->add_subcommand(
      "set", "Write --config, --context and --credential to $DATAMON_CONFIG or $HOME/.datamon2/datamon.yaml");
  set->callback([&global] {
    const auto c = global.load();
    std::filesystem::path file;
    if (const char* env = std::getenv("DATAMON_CONFIG"); env != nullptr && *env != '\0') {
      file = env;
    } else {
      const char* home = std::getenv("HOME");
      if (home == nullptr || *home == '\0') throw Error(ErrorKind::InvalidArgument, "config set: HOME is not set");
      file = std::filesystem::path(home) / ".datamon2" / "datamon.yaml";
    }
    if (file.extension() != ".yaml") {
      std::cerr << "INFO: warning: the generated config file will contain a yaml document, but the file extension is \""
                << file.extension().string() << "\"\n";
    }
    std::error_code ec;
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) throw_errno(ec.value(), "could not create directory to hold config", file.parent_path().string());
    write_file_atomic(file, cli_config_yaml(c), 0600);
    std::cout << "config file created in " << file.string() << "\n";
  });
}

}  // namespace dm::cli
