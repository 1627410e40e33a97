// `datamon bundle upload|download|list|list files`.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "bin/cli.h"
#include "bin/output.h"
#include "common/config/context.h"
#include "common/model/paths.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"

namespace dm::cli {

namespace {

struct UploadFlags {
  std::string path, repo, message, label, format, file_list;
  bool skip_on_error = false;
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

// Why the file at `path` cannot be uploaded, empty when it can; fills `st`.
std::string why_not_uploadable(const std::filesystem::path& path, struct stat& st) {
  if (::stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (::access(path.c_str(), R_OK) != 0) return std::strerror(errno);
  return {};
}

// The files named one per line in `list` (Go's --files), relative to `root`. A name that is
// unsafe, missing or not a regular file is an error naming it, or with `skip` is left out and
// reported in `skipped`.
std::vector<transfer::SourceFile> listed_files(const std::filesystem::path& root, const std::string& list, bool skip,
                                               std::vector<std::string>& skipped) {
  std::ifstream in(list);
  if (!in) throw_errno("cannot open file list", list);
  std::vector<transfer::SourceFile> files;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto name = model::safe_entry_name(line);
    struct stat st {};
    const std::string problem = name ? why_not_uploadable(root / *name, st) : "not a relative path inside --path";
    if (!problem.empty()) {
      if (!skip)
        throw Error(ErrorKind::InvalidArgument,
                    "file " + dm::quoted(line) + " of " + dm::quoted(list) + ": " + problem);
      skipped.push_back(line + ": " + problem);
      continue;
    }
    files.push_back(transfer::SourceFile{*name, root / *name, static_cast<uint32_t>(st.st_mode & 07777),
                                         static_cast<uint64_t>(st.st_size)});
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  files.erase(std::unique(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.name == b.name; }),
              files.end());
  return files;
}

void upload(GlobalOptions& global, const UploadFlags& f) {
  const auto config = global.load();
  auto ctx = config::open_context(config);
  auto catalog = ctx.catalog();
  std::vector<std::string> skipped;
  auto files =
      f.file_list.empty() ? transfer::scan_tree(f.path) : listed_files(f.path, f.file_list, f.skip_on_error, skipped);
  if (f.skip_on_error && f.file_list.empty()) {
    // Files scanned but unreadable are left out rather than failing the upload.
    std::erase_if(files, [&](const transfer::SourceFile& file) {
      if (::access(file.path.c_str(), R_OK) == 0) return false;
      skipped.push_back(file.name + ": " + std::strerror(errno));
      return true;
    });
  }
  for (const auto& s : skipped) std::cerr << "skipped " << s << "\n";
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
  transfer::DownloadOptions options;
  const auto entries = catalog.get_entries(f.repo, bundle, width, &options.index_documents);
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
  up->add_option("--files", uf->file_list, "Text file containing list of files separated by newline.");
  up->add_flag("--skip-on-error", uf->skip_on_error,
               "Skip files that cannot be read (missing, unreadable, not regular); each is listed on stderr");
  up->add_option("--concurrency-factor", uf->concurrency, "parallelism factor (Go default 100)")->default_val(100);
  accept_go_bool_flag(*up, "--retry", "every store request retries with backoff (Go default true)");
  accept_go_bool_flag(*up, "--verify-hash", "the root key written is the hash of the bytes read (Go default true)");
  accept_go_bool_flag(*up, "--verify-blob-hash",
                      "blobs are content-addressed: each key is the hash of the bytes written (Go default false)");
  up->callback([&global, uf] { upload(global, *uf); });

  auto* list = bundle->add_subcommand("list", "List the bundles of a repo");
  auto df = std::make_shared<DownloadFlags>();
  auto* down = bundle->add_subcommand("download", "Download a bundle into a folder");
  // Not ->required(): `download file` is a subcommand with flags of its own.
  down->add_option("--repo", df->repo, "repo");
  auto* b = down->add_option("--bundle", df->bundle, "bundle id");
  auto* l = down->add_option("--label", df->label, "label");
  b->excludes(l);
  down->add_option("--destination", df->destination, "folder to write");
  down->add_option("--name-filter", df->name_filter, "only entries whose name matches this regex");
  down->add_flag("--force-dest", df->force_dest, "write into a non-empty destination");
  down->add_option("--verify-hash", df->verify_hash, "verify every leaf (default true)")->default_val(true);
  down->add_option("--concurrency-factor", df->concurrency, "parallelism factor (Go default 100)")->default_val(100);
  down->callback([&global, df, down] {
    if (!down->get_subcommands().empty()) return;
    if (df->repo.empty() || df->destination.empty())
      throw Error(ErrorKind::InvalidArgument, "bundle download needs --repo and --destination");
    download(global, *df);
  });

  add_bundle_listing_commands(*bundle, *list, global);
  add_bundle_sync_commands(*bundle, *down, global);
  return *bundle;
}

}  // namespace dm::cli
