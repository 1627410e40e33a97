#include "common/model/repo_rename.h"

#include <vector>

#include "common/model/paths.h"
#include "common/model/repo_delete.h"
#include "common/util/error.h"

namespace dm::model {

namespace {

// Copies `from_prefix + rest` to `to_prefix + rest` for each name, byte for byte. Overwrite:
// NEW does not exist yet (no repo.yaml), so whatever lies under its prefix is left over from
// an interrupted rename to the same name.
void copy_objects(store::Store& store, const std::vector<std::string>& names, const std::string& from_prefix,
                  const std::string& to_prefix) {
  std::string bytes;
  for (const auto& name : names) {
    bytes.clear();
    store.get_into(name, bytes, kMaxDocumentBytes);
    store.put(to_prefix + name.substr(from_prefix.size()), bytes, store::PutMode::Overwrite);
  }
}

}  // namespace

void rename_repo(Catalog& catalog, const std::string& old_name, const std::string& new_name) {
  validate_repo_name(new_name);
  auto repo = catalog.get_repo(old_name);  // NotFound naming OLD
  if (catalog.metadata().exists(repo_path(new_name))) {
    throw Error(ErrorKind::AlreadyExists, "repo " + dm::quoted(new_name) + " already exists");
  }

  // Bundles: the index files before each bundle.yaml, as an upload writes them, so that no
  // copied bundle is ever visible without its index.
  const auto old_bundles = bundle_prefix(old_name);
  const auto new_bundles = bundle_prefix(new_name);
  std::vector<std::string> descriptors, others;
  for (auto& name : store::names_under(catalog.metadata(), old_bundles)) {
    (name.ends_with("/bundle.yaml") ? descriptors : others).push_back(std::move(name));
  }
  copy_objects(catalog.metadata(), others, old_bundles, new_bundles);
  copy_objects(catalog.metadata(), descriptors, old_bundles, new_bundles);

  // Labels, then the new repo.yaml: NEW exists from here on, whole.
  const auto old_labels = label_prefix(old_name);
  copy_objects(catalog.vmetadata(), store::names_under(catalog.vmetadata(), old_labels), old_labels,
               label_prefix(new_name));
  repo.name = new_name;
  catalog.create_repo(repo);  // NoOverwrite: a concurrent create of NEW wins, OLD stays

  delete_repo(catalog, old_name);
}

}  // namespace dm::model
