#include "common/config/context.h"

#include <algorithm>

#include "common/model/paths.h"
#include "common/store/open_store.h"
#include "common/util/error.h"

namespace dm::config {

ContextStores open_context(const Config& config) {
  const auto& config_url = require_config_bucket(config);
  model::validate_context_name(config.context);
  ContextStores cs;
  auto options = config.store;
  options.create_local = false;
  try {
    cs.config = store::open_store(config_url, options);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound,
                  "config bucket " + dm::quoted(config_url) + " does not exist (run 'datamon context create')");
    }
    throw;
  }
  const auto path = model::context_path(config.context);
  std::string doc;
  try {
    doc = cs.config->get(path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound, "context " + dm::quoted(config.context) + " does not exist in config bucket " +
                                           cs.config->describe());
    }
    throw;
  }
  cs.descriptor = model::parse_context(doc, store::object_url(*cs.config, path));
  const auto& d = cs.descriptor;
  for (const auto& [key, value] : {std::pair{"blob", d.blob}, {"metadata", d.metadata}, {"vmetadata", d.vmetadata}}) {
    if (value.empty()) {
      throw Error(ErrorKind::Corrupt,
                  "context " + store::object_url(*cs.config, path) + " names no '" + std::string(key) + "' bucket");
    }
  }
  for (const auto* bucket : {&d.blob, &d.metadata, &d.vmetadata}) {
    try {
      store::sibling_bucket_url(config_url, *bucket);
    } catch (const Error& e) {
      throw Error(ErrorKind::Corrupt, "context " + store::object_url(*cs.config, path) + ": " + e.what());
    }
  }
  options.create_local = true;
  cs.metadata = store::open_store(store::sibling_bucket_url(config_url, d.metadata), options);
  cs.vmetadata = store::open_store(store::sibling_bucket_url(config_url, d.vmetadata), options);
  options.defer_local_sync = true;  // upload flushes before the index
  cs.blob = store::open_store(store::sibling_bucket_url(config_url, d.blob), options);
  return cs;
}

namespace {

std::unique_ptr<store::Store> open_config_bucket(const Config& config) {
  const auto& config_url = require_config_bucket(config);
  auto options = config.store;
  options.create_local = false;
  try {
    return store::open_store(config_url, options);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound,
                  "config bucket '" + config_url + "' does not exist (run 'datamon context create')");
    }
    throw;
  }
}

}  // namespace

std::vector<std::string> list_contexts(const Config& config) {
  auto cfg = open_config_bucket(config);
  std::vector<std::string> names;
  constexpr std::string_view kPrefix = "contexts/";
  constexpr std::string_view kFile = "/context.yaml";
  cfg->list(kPrefix, "", [&](const store::ListEntry& e) {
    std::string_view name = e.name;
    if (name.size() <= kPrefix.size() + kFile.size() || !name.ends_with(kFile)) return;
    name = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kFile.size());
    if (name.find('/') == std::string_view::npos) names.emplace_back(name);
  });
  std::sort(names.begin(), names.end());
  return names;
}

model::ContextDescriptor get_context(const Config& config, const std::string& name) {
  model::validate_context_name(name);
  auto cfg = open_config_bucket(config);
  const auto path = model::context_path(name);
  std::string doc;
  try {
    doc = cfg->get(path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      throw Error(ErrorKind::NotFound,
                  "context " + dm::quoted(name) + " does not exist in config bucket " + cfg->describe());
    }
    throw;
  }
  return model::parse_context(doc, store::object_url(*cfg, path));
}

void create_context(const Config& config, const model::ContextDescriptor& context) {
  const auto& config_url = require_config_bucket(config);
  model::validate_context_name(context.name);
  for (const auto* b : {&context.blob, &context.metadata, &context.vmetadata, &context.wal, &context.readlog}) {
    if (b->empty())
      throw Error(ErrorKind::InvalidArgument, "context " + dm::quoted(context.name) + " needs all five bucket names");
  }
  for (const auto* b : {&context.blob, &context.metadata, &context.vmetadata, &context.wal, &context.readlog}) {
    store::sibling_bucket_url(config_url, *b);  // throws InvalidArgument naming a bad one
  }
  auto cfg = store::open_store(config_url, config.store);
  try {
    cfg->put(model::context_path(context.name), model::to_yaml(context), store::PutMode::NoOverwrite);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::AlreadyExists) {
      throw Error(ErrorKind::AlreadyExists,
                  "context " + dm::quoted(context.name) + " already exists in config bucket " + cfg->describe());
    }
    throw;
  }
}

}  // namespace dm::config
