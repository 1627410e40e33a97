#include "common/model/repo_delete.h"

#include <vector>

#include "common/model/documents.h"
#include "common/model/paths.h"

namespace dm::model {

void delete_repo(Catalog& catalog, const std::string& repo) {
  validate_repo_name(repo);
  catalog.require_repo(repo);
  for (const auto& name : store::names_under(catalog.vmetadata(), label_prefix(repo))) catalog.vmetadata().remove(name);
  const auto bundle_objects = store::names_under(catalog.metadata(), bundle_prefix(repo));
  for (const auto& name : bundle_objects) {
    if (name.ends_with("/bundle.yaml")) catalog.metadata().remove(name);
  }
  for (const auto& name : bundle_objects) {
    if (!name.ends_with("/bundle.yaml")) catalog.metadata().remove(name);
  }
  catalog.metadata().remove(repo_path(repo));
}

uint64_t delete_entries(Catalog& catalog, const std::string& repo, const std::set<std::string>& names) {
  validate_repo_name(repo);
  catalog.require_repo(repo);
  uint64_t removed = 0;
  for (const auto& bundle : catalog.list_bundles(repo)) {
    for (uint64_t n = 0; n < bundle.count; ++n) {
      const auto name = index_path(repo, bundle.id, n);
      auto entries = parse_bundle_entries(catalog.metadata().get(name), store::object_url(catalog.metadata(), name));
      const auto before = entries.size();
      std::erase_if(entries, [&](const BundleEntry& e) { return names.count(e.name) != 0; });
      if (entries.size() == before) continue;
      removed += before - entries.size();
      catalog.metadata().put(name, to_yaml(entries), store::PutMode::Overwrite);
    }
  }
  return removed;
}

}  // namespace dm::model
