#include "common/model/catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "common/model/ksuid.h"
#include "common/model/paths.h"
#include "common/util/error.h"
#include "common/util/thread_pool.h"

namespace dm::model {

namespace {

std::string get_document(store::Store& s, const std::string& name) {
  std::string out;
  s.get_into(name, out, kMaxDocumentBytes);
  return out;
}

// Reads an object, turning NotFound into a message about the datamon thing it represents.
std::string get_or(store::Store& s, const std::string& name, const std::string& missing_message) {
  try {
    return get_document(s, name);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) throw Error(ErrorKind::NotFound, missing_message);
    throw;
  }
}

// A label document read from `url`, its name checked against the label it is stored as (Go
// fills a missing name from the path and refuses another one).
LabelDescriptor parse_named_label(const std::string& text, const std::string& url, const std::string& label) {
  auto d = parse_label(text, url);
  if (d.name.empty()) d.name = label;
  if (d.name != label) throw Error(ErrorKind::Corrupt, "label " + url + " is named " + dm::quoted(d.name));
  return d;
}

}  // namespace

void Catalog::create_repo(const RepoDescriptor& repo) {
  validate_repo_name(repo.name);
  try {
    metadata_.put(repo_path(repo.name), to_yaml(repo), store::PutMode::NoOverwrite);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::AlreadyExists) {
      throw Error(ErrorKind::AlreadyExists, "repo " + dm::quoted(repo.name) + " already exists");
    }
    throw;
  }
}

std::vector<RepoDescriptor> Catalog::list_repos() {
  std::vector<std::string> names;
  metadata_.list("repos/", "", [&](const store::ListEntry& e) {
    if (e.name.size() > 15 && e.name.ends_with("/repo.yaml")) names.push_back(e.name);
  });
  std::vector<RepoDescriptor> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    out.push_back(parse_repo(get_document(metadata_, name), store::object_url(metadata_, name)));
  }
  return out;
}

RepoDescriptor Catalog::get_repo(const std::string& repo) {
  validate_repo_name(repo);
  const auto name = repo_path(repo);
  return parse_repo(get_or(metadata_, name, "repo " + dm::quoted(repo) + " does not exist in " + metadata_.describe()),
                    store::object_url(metadata_, name));
}

void Catalog::require_repo(const std::string& repo) {
  // Every command names its repo through here: a name Go would refuse never reaches a key, a
  // path or a mount option, even when a hostile store holds a repo of that name.
  validate_repo_name(repo);
  if (!metadata_.exists(repo_path(repo))) {
    throw Error(ErrorKind::NotFound, "repo " + dm::quoted(repo) + " does not exist in " + metadata_.describe());
  }
}

std::vector<BundleDescriptor> Catalog::list_bundles(const std::string& repo) {
  require_repo(repo);
  const auto prefix = bundle_prefix(repo);
  std::vector<std::string> ids;
  metadata_.list(prefix, "/", [&](const store::ListEntry& e) {
    if (e.is_prefix) ids.push_back(e.name.substr(prefix.size(), e.name.size() - prefix.size() - 1));
  });
  std::sort(ids.begin(), ids.end());
  std::vector<BundleDescriptor> out;
  for (const auto& id : ids) {
    const auto name = bundle_path(repo, id);
    std::string doc;
    try {
      doc = get_document(metadata_, name);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::NotFound) continue;  // an upload that never committed
      throw;
    }
    auto d = parse_bundle(doc, store::object_url(metadata_, name));
    if (d.id != id) {
      throw Error(ErrorKind::Corrupt, "bundle " + store::object_url(metadata_, name) + " names id " + dm::quoted(d.id));
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::string Catalog::latest_bundle(const std::string& repo) {
  require_repo(repo);
  const auto prefix = bundle_prefix(repo);
  std::vector<std::string> ids;
  metadata_.list(prefix, "/", [&](const store::ListEntry& e) {
    if (e.is_prefix) ids.push_back(e.name.substr(prefix.size(), e.name.size() - prefix.size() - 1));
  });
  std::sort(ids.begin(), ids.end());
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    if (metadata_.exists(bundle_path(repo, *it))) {
      if (it != ids.rbegin()) {
        spdlog::warn("repo={} skipped incomplete newer bundle={} (no bundle.yaml)", repo, dm::quoted(ids.back()));
      }
      return *it;
    }
  }
  throw Error(ErrorKind::NotFound, "repo " + dm::quoted(repo) + " has no bundles");
}

BundleDescriptor Catalog::get_bundle(const std::string& repo, const std::string& bundle_id) {
  validate_bundle_id(bundle_id);
  const auto name = bundle_path(repo, bundle_id);
  auto d = parse_bundle(
      get_or(metadata_, name, "bundle " + dm::quoted(bundle_id) + " does not exist in repo " + dm::quoted(repo)),
      store::object_url(metadata_, name));
  if (d.leaf_size == 0) {
    throw Error(ErrorKind::Corrupt, "bundle " + store::object_url(metadata_, name) + " has no leafSize");
  }
  // The id names local paths (the .datamon copies): it must be the one of the key read.
  if (d.id != bundle_id) {
    throw Error(ErrorKind::Corrupt, "bundle " + store::object_url(metadata_, name) + " names id " + dm::quoted(d.id));
  }
  return d;
}

std::vector<BundleEntry> Catalog::get_entries(const std::string& repo, const BundleDescriptor& bundle,
                                              unsigned concurrency, std::vector<std::string>* documents) {
  // `count` comes from the document: it sizes nothing. Index files are read a batch at a time,
  // and only what was read is kept, so a huge count fails at its first missing file.
  std::vector<BundleEntry> out;
  const uint64_t batch = 4 * uint64_t{std::max(1U, concurrency)};
  for (uint64_t first = 0; first < bundle.count; first += batch) {
    const auto size = static_cast<size_t>(std::min(batch, bundle.count - first));
    std::vector<std::vector<BundleEntry>> parts(size);
    std::vector<std::string> docs(size);
    parallel_for(size, concurrency, [&](size_t k) {
      const auto name = index_path(repo, bundle.id, first + k);
      docs[k] = get_or(
          metadata_, name,
          "index file " + store::object_url(metadata_, name) + " of bundle " + dm::quoted(bundle.id) + " is missing");
      parts[k] = parse_bundle_entries(docs[k], store::object_url(metadata_, name));
      if (!documents) std::string().swap(docs[k]);
    });
    for (auto& p : parts) std::move(p.begin(), p.end(), std::back_inserter(out));
    if (documents) std::move(docs.begin(), docs.end(), std::back_inserter(*documents));
  }
  return out;
}

void Catalog::for_each_index_file(const std::string& repo, const BundleDescriptor& bundle, unsigned concurrency,
                                  const IndexFileConsumer& consume) {
  std::mutex mutex;
  std::condition_variable turn_changed;
  size_t turn = 0;  // the next file to consume
  bool failed = false;
  // parallel_for hands out files in increasing order, so the file whose turn it is is always
  // held by a worker that is not waiting: no deadlock, and at most `concurrency` parsed files.
  parallel_for(bundle.count, concurrency, [&](size_t n) {
    try {
      const auto name = index_path(repo, bundle.id, n);
      const auto url = store::object_url(metadata_, name);
      auto entries = parse_bundle_entries(
          get_or(metadata_, name, "index file " + url + " of bundle " + dm::quoted(bundle.id) + " is missing"), url);
      std::unique_lock lock(mutex);
      turn_changed.wait(lock, [&] { return failed || turn == n; });
      if (failed) return;  // parallel_for rethrows the error that set it
      lock.unlock();
      consume(n, url, std::move(entries));
      lock.lock();
      ++turn;
      turn_changed.notify_all();
    } catch (...) {
      {
        std::lock_guard lock(mutex);
        failed = true;
      }
      turn_changed.notify_all();
      throw;
    }
  });
}

void Catalog::write_bundle(const std::string& repo, BundleDescriptor& bundle, std::vector<BundleEntry> entries) {
  validate_repo_name(repo);
  if (bundle.id.empty()) throw Error(ErrorKind::Internal, "bundle id not set");
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i].name == entries[i - 1].name) {
      throw Error(ErrorKind::InvalidArgument, "bundle has two entries named '" + entries[i].name + "'");
    }
  }
  const size_t files = (entries.size() + kEntriesPerIndexFile - 1) / kEntriesPerIndexFile;
  for (size_t n = 0; n < files; ++n) {
    const auto first = entries.begin() + static_cast<ptrdiff_t>(n * kEntriesPerIndexFile);
    const auto last =
        entries.begin() + static_cast<ptrdiff_t>(std::min(entries.size(), (n + 1) * kEntriesPerIndexFile));
    metadata_.put(index_path(repo, bundle.id, n), to_yaml(std::vector<BundleEntry>(first, last)),
                  store::PutMode::NoOverwrite);
  }
  bundle.count = files;
  metadata_.put(bundle_path(repo, bundle.id), to_yaml(bundle), store::PutMode::NoOverwrite);
}

std::string Catalog::resolve_bundle(const std::string& repo, const std::string& bundle_id, const std::string& label) {
  if (!bundle_id.empty() && !label.empty()) {
    throw Error(ErrorKind::InvalidArgument, "--bundle and --label are mutually exclusive");
  }
  require_repo(repo);
  if (!bundle_id.empty()) {
    validate_bundle_id(bundle_id);
    return bundle_id;
  }
  if (!label.empty()) return get_label(repo, label).id;
  return latest_bundle(repo);
}

void Catalog::set_label(const std::string& repo, const LabelDescriptor& label) {
  validate_label_name(label.name);
  require_repo(repo);
  if (!metadata_.exists(bundle_path(repo, label.id))) {
    throw Error(ErrorKind::NotFound, "bundle " + dm::quoted(label.id) + " does not exist in repo " + dm::quoted(repo));
  }
  vmetadata_.put(label_path(repo, label.name), to_yaml(label), store::PutMode::Overwrite);
}

LabelDescriptor Catalog::get_label(const std::string& repo, const std::string& label) {
  validate_label_name(label);
  require_repo(repo);
  const auto name = label_path(repo, label);
  const auto url = store::object_url(vmetadata_, name);
  auto d = parse_named_label(
      get_or(vmetadata_, name, "label " + dm::quoted(label) + " does not exist in repo " + dm::quoted(repo)), url,
      label);
  if (d.id.empty()) throw Error(ErrorKind::Corrupt, "label " + url + " has no id");
  try {
    validate_bundle_id(d.id);
  } catch (const Error&) {
    throw Error(ErrorKind::Corrupt, "label " + url + " names bundle " + dm::quoted(d.id));
  }
  return d;
}

std::vector<std::pair<std::string, std::string>> Catalog::label_objects(const std::string& repo,
                                                                        const std::string& prefix) {
  const auto base = label_prefix(repo);
  constexpr std::string_view kLabelFile = "/label.yaml";
  std::vector<std::pair<std::string, std::string>> out;
  vmetadata_.list(base + prefix, "", [&](const store::ListEntry& e) {
    if (!e.name.ends_with(kLabelFile)) return;
    out.emplace_back(e.name, e.name.substr(base.size(), e.name.size() - base.size() - kLabelFile.size()));
  });
  return out;
}

std::vector<LabelDescriptor> Catalog::list_labels(const std::string& repo, const std::string& prefix) {
  require_repo(repo);
  std::vector<LabelDescriptor> out;
  for (const auto& [name, label] : label_objects(repo, prefix)) {
    out.push_back(parse_named_label(get_document(vmetadata_, name), store::object_url(vmetadata_, name), label));
  }
  return out;
}

void Catalog::append_label_versions(const std::string& object, const std::string& label,
                                    std::vector<LabelDescriptor>& out) {
  for (const auto& version : vmetadata_.list_versions(object)) {
    const auto url = store::object_url(vmetadata_, object) + " (version " + dm::quoted(version) + ")";
    out.push_back(parse_named_label(vmetadata_.read_version(object, version, kMaxDocumentBytes), url, label));
  }
}

std::vector<LabelDescriptor> Catalog::get_label_versions(const std::string& repo, const std::string& label) {
  validate_label_name(label);
  require_repo(repo);
  const auto name = label_path(repo, label);
  if (!vmetadata_.exists(name)) {
    throw Error(ErrorKind::NotFound, "label " + dm::quoted(label) + " does not exist in repo " + dm::quoted(repo));
  }
  std::vector<LabelDescriptor> out;
  append_label_versions(name, label, out);
  return out;
}

std::vector<LabelDescriptor> Catalog::list_label_versions(const std::string& repo, const std::string& prefix) {
  if (!vmetadata_.is_versioned()) store::throw_versioned_store_required(vmetadata_);
  require_repo(repo);
  std::vector<LabelDescriptor> out;
  for (const auto& [name, label] : label_objects(repo, prefix)) append_label_versions(name, label, out);
  return out;
}

}  // namespace dm::model
