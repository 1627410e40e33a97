// `datamon context create|list|get`.
#include <iostream>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/template/go_fmt.h"
#include "common/template/model_values.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {
// Go's default template (cmd/datamon/cmd/context.go).
constexpr const char* kContextLine =
    "Model Version: {{.Version}}, Name: {{.Name}}, WAL: {{.WAL}}, ReadLog: {{.ReadLog}}, Blob: {{.Blob}}, "
    "Metadata: {{.Metadata}}, Version Metadata: {{.VMetadata}}";
}  // namespace

void add_context_commands(CLI::App& app, GlobalOptions& global) {
  auto* context = app.add_subcommand("context", "Create, list and inspect contexts");
  context->require_subcommand(1);
  auto* create = context->add_subcommand("create", "Create a context in the config bucket");
  struct Opts {
    std::string blob, meta, vmeta, wal, readlog;
  };
  auto opts = std::make_shared<Opts>();
  create->add_option("--blob", opts->blob, "The name of the bucket hosting the datamon blobs")->required();
  create->add_option("--meta", opts->meta, "The name of the bucket used by datamon metadata")->required();
  create->add_option("--vmeta", opts->vmeta, "The name of the bucket hosting the versioned metadata")->required();
  create->add_option("--wal", opts->wal, "The name of the bucket hosting the WAL")->required();
  create->add_option("--read-log", opts->readlog, "The name of the bucket hosting the read log")->required();
  create->callback([&global, opts] {
    const auto config = global.load();
    model::ContextDescriptor d;
    d.name = config.context;
    d.blob = opts->blob;
    d.metadata = opts->meta;
    d.vmetadata = opts->vmeta;
    d.wal = opts->wal;
    d.readlog = opts->readlog;
    config::create_context(config, d);  // silent on success, as Go
  });

  auto* list = context->add_subcommand("list", "List available contexts in the config bucket");
  list->callback([&global] {
    std::vector<tmpl::Value> names;
    for (auto& n : config::list_contexts(global.load())) names.push_back(tmpl::Value::string(n));
    // Go: log.Printf("%v", contexts) on a []string.
    std::cout << tmpl::go_sprintf("%v", {tmpl::Value::list(std::move(names), "[]string")}) << "\n";
  });

  auto format = std::make_shared<std::string>();
  auto* get = context->add_subcommand("get", "Get a context's buckets (--context; exit 2 when it does not exist)");
  add_format_flag(*get, *format);
  get->callback([&global, format] {
    const auto line = output_template(*format, "list line", kContextLine);
    const auto config = global.load();
    model::ContextDescriptor d;
    try {
      d = config::get_context(config, config.context);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
      exit_not_found("context", config.context);
    }
    print_line(line, tmpl::to_value(d));
  });
}

}  // namespace dm::cli
