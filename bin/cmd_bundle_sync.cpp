// `datamon bundle diff`, `bundle update` and `bundle download file`: a local folder against a
// bundle (--bundle, --label or the latest).
#include <iostream>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/template/model_values.h"
#include "common/transfer/folder_diff.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {

// Go's default template (cmd/datamon/cmd/bundle_diff.go).
constexpr const char* kDiffLine =
    "{{.Type}} , {{.Name}} , {{with .Additional}}{{.Size}} , {{.Hash}}{{end}} , {{with .Existing}}{{.Size}} , "
    "{{.Hash}}{{end}}";

struct SyncFlags {
  std::string repo, bundle, label, destination, file, format;
  unsigned concurrency = 100;
};

void add_sync_flags(CLI::App& cmd, SyncFlags& f) {
  cmd.add_option("--repo", f.repo, "The name of this repository")->required();
  auto* b = cmd.add_option("--bundle", f.bundle,
                           "The hash id for the bundle, if not specified the latest bundle will be used");
  auto* l = cmd.add_option("--label", f.label, "The human-readable name of a label");
  b->excludes(l);
  cmd.add_option("--destination", f.destination, "The path to the download dir")->required();
  cmd.add_option("--concurrency-factor", f.concurrency,
                 "Heuristic on the amount of concurrency used by various operations (Go default 100)")
      ->default_val(100);
}

tmpl::Value diff_value(const transfer::EntryDiff& d) {
  static constexpr const char* kTypes[] = {"A", "D", "U"};
  const auto type = static_cast<unsigned>(d.type);
  return tmpl::Value::structure(
      "core.DiffEntry",
      {{"Type", tmpl::Value::stringer("core.DiffEntryType", kTypes[type], tmpl::Value::unsigned_integer(type))},
       {"Name", tmpl::Value::string(d.name)},
       {"Existing", tmpl::to_value(d.existing)},
       {"Additional", tmpl::to_value(d.additional)}});
}

struct Selected {
  config::ContextStores ctx;
  model::BundleDescriptor bundle;
  std::vector<model::BundleEntry> entries;
};

Selected select(GlobalOptions& global, const SyncFlags& f) {
  Selected s{config::open_context(global.load()), {}, {}};
  auto catalog = s.ctx.catalog();
  const auto id = select_bundle(catalog, f.repo, f.bundle, f.label, f.format.empty());
  s.bundle = catalog.get_bundle(f.repo, id);
  s.entries = catalog.get_entries(f.repo, s.bundle);
  return s;
}

transfer::DownloadOptions download_options(const SyncFlags& f) {
  transfer::DownloadOptions o;
  o.concurrency = std::max(2U, std::min(64U, f.concurrency / 10));
  return o;
}

}  // namespace

void add_bundle_sync_commands(CLI::App& bundle, CLI::App& download, GlobalOptions& global) {
  auto df = std::make_shared<SyncFlags>();
  auto* diff = bundle.add_subcommand("diff", "Diff a downloaded bundle with a remote bundle");
  add_sync_flags(*diff, *df);
  add_format_flag(*diff, df->format);
  diff->callback([&global, df] {
    const auto line = output_template(df->format, "list line", kDiffLine);
    auto s = select(global, *df);
    const auto entries = transfer::diff_folder(df->destination, s.bundle, s.entries);
    if (entries.empty()) std::cerr << "INFO: empty diff\n";
    for (const auto& d : entries) print_line(line, diff_value(d));
  });

  auto uf = std::make_shared<SyncFlags>();
  auto* update = bundle.add_subcommand(
      "update", "Update a downloaded bundle with a remote bundle: fetch what differs, remove what the bundle lacks");
  add_sync_flags(*update, *uf);
  update->callback([&global, uf] {
    auto s = select(global, *uf);
    transfer::update_folder(uf->destination, s.bundle, s.entries, *s.ctx.blob, download_options(*uf));
  });

  auto ff = std::make_shared<SyncFlags>();
  auto* file = download.add_subcommand("file", "Download one file of a bundle into --destination");
  add_sync_flags(*file, *ff);
  file->add_option("--file", ff->file, "The file to download from the bundle")->required();
  file->callback([&global, ff] {
    auto s = select(global, *ff);
    std::vector<model::BundleEntry> chosen;
    for (const auto& e : s.entries) {
      if (e.name == ff->file) chosen.push_back(e);
    }
    if (chosen.empty()) {
      // Go exits 1 here (log.Fatal), not ENOENT as its get commands do.
      throw ExitStatus{kExitFailure,
                       "didn't find file " + dm::quoted(ff->file) + " in bundle " + dm::quoted(s.bundle.id)};
    }
    auto o = download_options(*ff);
    o.write_metadata_copies = false;
    transfer::download_bundle(s.bundle, chosen, *s.ctx.blob, ff->destination, o);
  });
}

}  // namespace dm::cli
