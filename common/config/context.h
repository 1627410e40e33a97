// Opening a datamon context: read contexts/{ctx}/context.yaml from the config bucket and open
// the buckets it names on the same backend (decision 15).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/model/catalog.h"
#include "common/model/documents.h"
#include "common/store/store.h"

namespace dm::config {

struct ContextStores {
  model::ContextDescriptor descriptor;
  std::unique_ptr<store::Store> config;
  std::unique_ptr<store::Store> metadata;
  std::unique_ptr<store::Store> vmetadata;
  std::unique_ptr<store::Store> blob;

  model::Catalog catalog() { return model::Catalog(*metadata, *vmetadata); }
};

// NotFound naming the context and the config bucket when it does not exist.
ContextStores open_context(const Config& config);

// The context names of the config bucket (contexts/{name}/context.yaml), sorted.
std::vector<std::string> list_contexts(const Config& config);

// contexts/{name}/context.yaml of the config bucket; NotFound names the context.
model::ContextDescriptor get_context(const Config& config, const std::string& name);

// Writes contexts/{ctx}/context.yaml (NoOverwrite); AlreadyExists names the context.
void create_context(const Config& config, const model::ContextDescriptor& context);

}  // namespace dm::config
