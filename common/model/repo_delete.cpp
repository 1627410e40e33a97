#include "common/model/repo_delete.h"

#include <vector>

#include "common/model/paths.h"

namespace dm::model {

namespace {

std::vector<std::string> names_under(store::Store& store, const std::string& prefix) {
  std::vector<std::string> names;
  store.list(prefix, "", [&](const store::ListEntry& e) {
    if (!e.is_prefix) names.push_back(e.name);
  });
  return names;
}

}  // namespace

void delete_repo(Catalog& catalog, const std::string& repo) {
  validate_repo_name(repo);
  catalog.require_repo(repo);
  for (const auto& name : names_under(catalog.vmetadata(), label_prefix(repo))) catalog.vmetadata().remove(name);
  const auto bundle_objects = names_under(catalog.metadata(), bundle_prefix(repo));
  for (const auto& name : bundle_objects) {
    if (name.ends_with("/bundle.yaml")) catalog.metadata().remove(name);
  }
  for (const auto& name : bundle_objects) {
    if (!name.ends_with("/bundle.yaml")) catalog.metadata().remove(name);
  }
  catalog.metadata().remove(repo_path(repo));
}

}  // namespace dm::model
