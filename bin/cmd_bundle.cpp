// `datamon bundle upload|download|list|list files`.
#include <iostream>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {

struct UploadFlags {
  std::string path, repo, message, label, format;
  unsigned concurrency = 0;
};

struct DownloadFlags {
  std::string repo, bundle, label, destination, name_filter;
  bool force_dest = false;
  bool verify_hash = true;
  unsigned concurrency = 0;
};

// Go's --concurrency-factor 100 means 20 files at a time on upload, 10 on download. We keep the
// flag and scale it the same way, bounded to something a 2-core pod can use.
unsigned from_factor(unsigned factor, unsigned divisor) {
  return std::max(2U, std::min(64U, factor / divisor));
}

// Go's upload template (cmd/datamon/cmd/bundle_upload.go).
constexpr const char* kUploaded =
    "Uploaded bundle id:{{.BundleID}}\n{{- if .Label }}\nset label '{{.Label}}'\n{{- end }}";

void upload(GlobalOptions& global, const UploadFlags& f) {
  const auto config = global.load();
  auto ctx = config::open_context(config);
  auto catalog = ctx.catalog();
  const auto files = transfer::scan_tree(f.path);
  transfer::UploadOptions options;
  options.repo = f.repo;
  options.message = f.message;
  options.label = f.label;
  options.contributor = config.contributor;
  options.concurrency = from_factor(f.concurrency, 5);
  const auto result = transfer::upload_bundle(files, catalog, *ctx.blob, options);
  print_line(output_template(f.format, "uploaded", kUploaded),
             tmpl::Value::structure(
                 "struct { BundleID string; Label string }",
                 {{"BundleID", tmpl::Value::string(result.bundle_id)}, {"Label", tmpl::Value::string(f.label)}}));
}

void download(GlobalOptions& global, const DownloadFlags& f) {
  const auto config = global.load();
  auto ctx = config::open_context(config);
  auto catalog = ctx.catalog();
  std::error_code ec;
  if (!f.force_dest && std::filesystem::exists(f.destination, ec) && !std::filesystem::is_empty(f.destination, ec)) {
    throw Error(ErrorKind::InvalidArgument,
                "destination '" + f.destination + "' is not empty (use --force-dest to write into it)");
  }
  const auto id = select_bundle(catalog, f.repo, f.bundle, f.label, true);
  const auto bundle = catalog.get_bundle(f.repo, id);
  const unsigned width = from_factor(f.concurrency, 10);
  const auto entries = catalog.get_entries(f.repo, bundle, width);
  transfer::DownloadOptions options;
  options.concurrency = width;
  options.verify = f.verify_hash;
  options.name_filter = f.name_filter;
  transfer::download_bundle(bundle, entries, *ctx.blob, f.destination, options);
}

}  // namespace

CLI::App& add_bundle_commands(CLI::App& app, GlobalOptions& global) {
  auto* bundle = app.add_subcommand("bundle", "Upload, download, list and mount bundles");
  bundle->require_subcommand(1);
  bundle->add_flag("--skip-auth")->description("accepted for compatibility (identity comes from the config)");

  auto uf = std::make_shared<UploadFlags>();
  auto* up = bundle->add_subcommand("upload", "Upload a folder as a new bundle");
  up->add_option("--path", uf->path, "folder to upload")->required();
  up->add_option("--repo", uf->repo, "repo")->required();
  up->add_option("--message", uf->message, "commit message")->required();
  up->add_option("--label", uf->label, "label to set on the new bundle");
  add_format_flag(*up, uf->format);
  up->add_option("--concurrency-factor", uf->concurrency, "parallelism factor (Go default 100)")->default_val(100);
  up->callback([&global, uf] { upload(global, *uf); });

  auto* list = bundle->add_subcommand("list", "List the bundles of a repo");
  auto df = std::make_shared<DownloadFlags>();
  auto* down = bundle->add_subcommand("download", "Download a bundle into a folder");
  down->add_option("--repo", df->repo, "repo")->required();
  auto* b = down->add_option("--bundle", df->bundle, "bundle id");
  auto* l = down->add_option("--label", df->label, "label");
  b->excludes(l);
  down->add_option("--destination", df->destination, "folder to write")->required();
  down->add_option("--name-filter", df->name_filter, "only entries whose name matches this regex");
  down->add_flag("--force-dest", df->force_dest, "write into a non-empty destination");
  down->add_option("--verify-hash", df->verify_hash, "verify every leaf (default true)")->default_val(true);
  down->add_option("--concurrency-factor", df->concurrency, "parallelism factor (Go default 100)")->default_val(100);
  down->callback([&global, df] { download(global, *df); });

  add_bundle_listing_commands(*bundle, *list, global);
  return *bundle;
}

}  // namespace dm::cli
