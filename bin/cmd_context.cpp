// `datamon context create`.
#include <iostream>

#include "bin/cli.h"
#include "common/config/context.h"

namespace dm::cli {

void add_context_commands(CLI::App& app, GlobalOptions& global) {
  auto* context = app.add_subcommand("context", "Create and inspect contexts");
  context->require_subcommand(1);
  auto* create = context->add_subcommand("create", "Create a context in the config bucket");
  struct Opts {
    std::string blob, meta, vmeta, wal, readlog;
  };
  auto opts = std::make_shared<Opts>();
  create->add_option("--blob", opts->blob, "blob bucket")->required();
  create->add_option("--meta", opts->meta, "metadata bucket")->required();
  create->add_option("--vmeta", opts->vmeta, "versioned metadata bucket")->required();
  create->add_option("--wal", opts->wal, "write-ahead-log bucket")->required();
  create->add_option("--read-log", opts->readlog, "read-log bucket")->required();
  create->callback([&global, opts] {
    const auto config = global.load();
    model::ContextDescriptor d;
    d.name = config.context;
    d.blob = opts->blob;
    d.metadata = opts->meta;
    d.vmetadata = opts->vmeta;
    d.wal = opts->wal;
    d.readlog = opts->readlog;
    config::create_context(config, d);
    std::cout << "created context '" << d.name << "'\n";
  });
}

}  // namespace dm::cli
