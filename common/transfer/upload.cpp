#include "common/transfer/upload.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "common/cafs/hasher.h"
#include "common/model/ksuid.h"
#include "common/model/paths.h"
#include "common/util/error.h"
#include "common/util/progress.h"
#include "common/util/thread_pool.h"

namespace dm::transfer {

UploadResult upload_bundle(const std::vector<SourceFile>& files, model::Catalog& catalog, store::Store& blobs,
                           const UploadOptions& options) {
  if (options.message.empty()) throw Error(ErrorKind::InvalidArgument, "a bundle needs a message (--message)");
  if (!options.label.empty()) model::validate_label_name(options.label);
  catalog.require_repo(options.repo);
  for (const auto& f : files) {
    if (!model::safe_entry_name(f.name) || *model::safe_entry_name(f.name) != f.name) {
      throw Error(ErrorKind::InvalidArgument, "file name " + dm::quoted(f.name) + " cannot be a bundle entry");
    }
  }

  model::BundleDescriptor bundle;
  bundle.leaf_size = cafs::kDefaultLeafSize;
  bundle.id = model::ksuid_new();
  bundle.message = options.message;
  bundle.parents = options.parents;
  bundle.timestamp = model::Timestamp::now_utc();
  bundle.contributors = {options.contributor};
  bundle.version = model::kCurrentBundleVersion;
  bundle.deduplication = "blake";

  uint64_t total = 0;
  for (const auto& f : files) total += f.size;
  Progress progress("upload", total, files.size(), !options.show_progress);
  const unsigned width = std::max(1U, options.concurrency);
  ThreadPool leaf_pool(width);
  cafs::Writer writer(blobs, bundle.leaf_size, leaf_pool, options.known);

  std::vector<model::BundleEntry> entries(files.size());
  UploadResult result;
  std::mutex result_mutex;
  parallel_for(files.size(), width, [&](size_t i) {
    const auto& f = files[i];
    auto& e = entries[i];
    if (options.known_roots) {
      if (auto it = options.known_roots->find(f.name); it != options.known_roots->end()) {
        e.hash = it->second.hex();
        e.name = f.name;
        e.mode = f.mode;
        e.size = f.size;
        progress.add_bytes(f.size);
        progress.file_done();
        std::lock_guard lock(result_mutex);
        result.bytes += f.size;
        result.leaves += (f.size + bundle.leaf_size - 1) / bundle.leaf_size;
        ++result.files_known;
        return;
      }
    }
    const auto put = writer.put_file(f.path, &progress);
    e.hash = put.root.hex();
    e.name = f.name;
    e.mode = f.mode;
    e.size = put.size;
    progress.file_done();
    std::lock_guard lock(result_mutex);
    result.bytes += put.size;
    result.leaves += put.leaves;
    result.leaves_stored += put.leaves_stored;
    result.bytes_stored += put.bytes_stored;
  });
  progress.finish();

  // Every blob the index will name, ours or found already there, is durable before the index.
  blobs.flush();
  catalog.write_bundle(options.repo, bundle, std::move(entries));
  result.bundle_id = bundle.id;
  result.files = files.size();
  spdlog::debug("uploaded bundle={} repo={} files={} bytes={} leaves={} leaves_stored={}", bundle.id, options.repo,
                result.files, result.bytes, result.leaves, result.leaves_stored);
  if (!options.label.empty()) {
    model::LabelDescriptor label;
    label.name = options.label;
    label.id = bundle.id;
    label.timestamp = model::Timestamp::now_utc();
    label.contributors = {options.contributor};
    catalog.set_label(options.repo, label);
  }
  return result;
}

}  // namespace dm::transfer
