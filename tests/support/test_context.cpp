#include "support/test_context.h"

#include <algorithm>

#include "common/cafs/hasher.h"
#include "common/cafs/root_blob.h"
#include "common/model/catalog.h"
#include "common/model/documents.h"
#include "common/model/ksuid.h"
#include "common/model/paths.h"
#include "common/transfer/source_tree.h"
#include "common/transfer/upload.h"

namespace dm::test {

namespace fs = std::filesystem;

namespace {

config::Config make_config(const fs::path& root) {
  config::Config c;
  c.config_bucket = "file://" + (root / "config").string();
  c.context = "dev";
  return c;
}

}  // namespace

TestContext::TestContext() {
  const auto config = make_config(dir_.path());
  model::ContextDescriptor d{"dev", "dev-wal", "dev-read-log", "dev-blob", "dev-metadata", "dev-v-metadata", 0};
  config::create_context(config, d);
  stores_ = config::open_context(config);
  model::RepoDescriptor repo;
  repo.name = "repo";
  repo.description = "test repo";
  stores_.catalog().create_repo(repo);
}

std::vector<std::string> TestContext::env() const {
  return {"DATAMON_GLOBAL_CONFIG=file://" + (dir_.path() / "config").string(), "DATAMON_CONTEXT=dev"};
}

std::string TestContext::upload(const fs::path& folder) {
  auto catalog = stores_.catalog();
  transfer::UploadOptions options;
  options.repo = "repo";
  options.message = "test bundle";
  options.show_progress = false;
  options.concurrency = 4;
  return transfer::upload_bundle(transfer::scan_tree(folder), catalog, *stores_.blob, options).bundle_id;
}

std::string TestContext::write_bundle_by_hand(const std::vector<std::pair<std::string, std::string>>& files,
                                              uint32_t leaf_size, uint64_t version, size_t per_file) {
  const uint64_t stride = version < 1 ? leaf_size - cafs::kLegacyLeafTruncation : leaf_size;
  std::vector<model::BundleEntry> entries;
  for (const auto& [name, content] : files) {
    const size_t count = (content.size() + stride - 1) / stride;
    std::vector<cafs::Key> keys;
    for (size_t i = 0; i < count; ++i) {
      const auto chunk = std::string_view(content).substr(i * stride, stride);
      const auto key =
          cafs::leaf_key_at({reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()}, leaf_size, i, count);
      stores_.blob->put(key.hex(), chunk, store::PutMode::Overwrite);
      keys.push_back(key);
    }
    const auto root = cafs::root_key(keys, leaf_size);
    stores_.blob->put(root.hex(), cafs::encode_root_blob(keys, root), store::PutMode::Overwrite);
    model::BundleEntry e;
    e.hash = root.hex();
    e.name = name;
    e.mode = 0;
    e.size = content.size();
    entries.push_back(e);
  }
  model::BundleDescriptor d;
  d.leaf_size = leaf_size;
  d.id = model::ksuid_new();
  d.message = "by hand";
  d.timestamp = model::Timestamp::now_utc();
  d.contributors = {{"Go", "go@example.com"}};
  d.version = version;
  d.deduplication = "blake";
  uint64_t n = 0;
  for (size_t i = 0; i < entries.size(); i += per_file, ++n) {
    std::vector<model::BundleEntry> part(entries.begin() + static_cast<long>(i),
                                         entries.begin() + static_cast<long>(std::min(entries.size(), i + per_file)));
    stores_.metadata->put(model::index_path("repo", d.id, n), model::to_yaml(part), store::PutMode::NoOverwrite);
  }
  d.count = n;
  stores_.metadata->put(model::bundle_path("repo", d.id), model::to_yaml(d), store::PutMode::NoOverwrite);
  return d.id;
}

}  // namespace dm::test
