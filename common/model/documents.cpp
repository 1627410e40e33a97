#include "common/model/documents.h"

#include <yaml-cpp/yaml.h>

#include "common/model/go_yaml.h"
#include "common/model/index_parser.h"
#include "common/util/error.h"
#include "common/util/utf8.h"

namespace dm::model {

namespace {

// ---- writing -------------------------------------------------------------------------------

class DocWriter {
 public:
  // `indent` is the indentation of the mapping the keys belong to; `first_prefix` replaces the
  // indentation of the first key (used for "- " sequence items).
  void string(std::string_view key, std::string_view value) {
    const int column = begin_key(key);
    append_yaml_string(out_, value, column, indent_);
    out_ += '\n';
  }
  void number(std::string_view key, uint64_t value) {
    begin_key(key);
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void time(std::string_view key, const Timestamp& t) {
    begin_key(key);
    out_ += t.rfc3339nano();
    out_ += '\n';
  }
  void contributor_list(std::string_view key, const std::vector<Contributor>& list) {
    if (list.empty()) {
      begin_key(key);
      out_ += "[]\n";
      return;
    }
    begin_block_key(key);
    out_ += '\n';
    for (const auto& c : list) {
      item_begin();
      string("name", c.name);
      string("email", c.email);
      item_end();
    }
  }
  void string_list(std::string_view key, const std::vector<std::string>& list) {
    begin_block_key(key);
    out_ += '\n';
    for (const auto& s : list) {
      out_.append(static_cast<size_t>(indent_), ' ');
      out_ += "- ";
      append_yaml_string(out_, s, indent_ + 2, indent_);
      out_ += '\n';
    }
  }
  void nested_begin(std::string_view key) {
    begin_block_key(key);
    out_ += '\n';
    indent_ += 2;
  }
  void nested_end() { indent_ -= 2; }
  // Sequence items are written at the parent's indentation ("- key: ..."), keys inside them
  // two further in: yaml.v2's indentless sequences.
  void item_begin() {
    pending_dash_ = true;
    indent_ += 2;
  }
  void item_end() { indent_ -= 2; }
  void raw(std::string_view text) { out_ += text; }
  std::string take() { return std::move(out_); }

 private:
  // Writes "key:" for a value on the following lines (no trailing space, as yaml.v2).
  void begin_block_key(std::string_view key) {
    begin_key(key);
    out_.pop_back();
  }
  int begin_key(std::string_view key) {
    if (pending_dash_) {
      out_.append(static_cast<size_t>(indent_ - 2), ' ');
      out_ += "- ";
      pending_dash_ = false;
    } else {
      out_.append(static_cast<size_t>(indent_), ' ');
    }
    out_ += key;
    out_ += ": ";
    return indent_ + static_cast<int>(key.size()) + 2;
  }

  std::string out_;
  int indent_ = 0;
  bool pending_dash_ = false;
};

// ---- reading -------------------------------------------------------------------------------

[[noreturn]] void corrupt(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::Corrupt, "document " + what + " is invalid: " + why);
}

YAML::Node load(std::string_view yaml, const std::string& what) {
  // yaml.v2 refuses documents that are not UTF-8; yaml-cpp would let the bytes through.
  if (!is_valid_utf8(yaml)) corrupt(what, "not valid UTF-8");
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    corrupt(what, "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) corrupt(what, "not a YAML mapping");
  return root;
}

std::string get_string(const YAML::Node& map, const char* key, const std::string& what) {
  const auto n = map[key];
  if (!n || n.IsNull()) return {};
  if (!n.IsScalar()) corrupt(what, std::string("key '") + key + "' is not a string");
  return n.Scalar();
}

uint64_t get_uint(const YAML::Node& map, const char* key, const std::string& what) {
  const auto n = map[key];
  if (!n || n.IsNull()) return 0;
  // yaml.v2 refuses a quoted number in an integer field; so do we.
  if (!n.IsScalar() || n.Tag() == "!") corrupt(what, std::string("key '") + key + "' is not an integer");
  const auto& s = n.Scalar();
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 20) {
    corrupt(what, std::string("key '") + key + "' is not an unsigned integer: '" + s + "'");
  }
  try {
    return std::stoull(s);
  } catch (...) {
    corrupt(what, std::string("key '") + key + "' is out of range");
  }
}

std::optional<Timestamp> get_time(const YAML::Node& map, const char* key, const std::string& what) {
  const auto n = map[key];
  if (!n || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) corrupt(what, std::string("key '") + key + "' is not a time");
  auto t = Timestamp::parse(n.Scalar());
  if (!t) corrupt(what, std::string("key '") + key + "' is not an RFC 3339 time: '" + n.Scalar() + "'");
  return t;
}

Contributor get_contributor(const YAML::Node& n, const std::string& what) {
  Contributor c;
  if (!n || n.IsNull()) return c;
  if (!n.IsMap()) corrupt(what, "a contributor is not a mapping");
  c.name = get_string(n, "name", what);
  c.email = get_string(n, "email", what);
  return c;
}

std::vector<Contributor> get_contributors(const YAML::Node& map, const std::string& what) {
  std::vector<Contributor> out;
  const auto n = map["contributors"];
  if (!n || n.IsNull()) return out;
  if (!n.IsSequence()) corrupt(what, "key 'contributors' is not a list");
  for (const auto& item : n) out.push_back(get_contributor(item, what));
  return out;
}

}  // namespace

std::string to_yaml(const ContextDescriptor& d) {
  DocWriter w;
  w.string("name", d.name);
  w.string("wal", d.wal);
  w.string("readlog", d.readlog);
  w.string("blob", d.blob);
  w.string("metadata", d.metadata);
  w.string("vmetadata", d.vmetadata);
  w.number("version", d.version);
  return w.take();
}

std::string to_yaml(const RepoDescriptor& d) {
  DocWriter w;
  if (!d.name.empty()) w.string("name", d.name);
  if (!d.description.empty()) w.string("description", d.description);
  if (d.timestamp) w.time("timestamp", *d.timestamp);
  if (!d.contributor.name.empty() || !d.contributor.email.empty()) {
    w.nested_begin("contributor");
    w.string("name", d.contributor.name);
    w.string("email", d.contributor.email);
    w.nested_end();
  }
  std::string out = w.take();
  return out.empty() ? "{}\n" : out;
}

std::string to_yaml(const BundleDescriptor& d) {
  DocWriter w;
  w.number("leafSize", d.leaf_size);
  w.string("id", d.id);
  w.string("message", d.message);
  if (!d.parents.empty()) w.string_list("parents", d.parents);
  if (d.timestamp) w.time("timestamp", *d.timestamp);
  w.contributor_list("contributors", d.contributors);
  w.number("count", d.count);
  if (d.version != 0) w.number("version", d.version);
  if (!d.deduplication.empty()) w.string("deduplication", d.deduplication);
  if (!d.runstage.empty()) w.string("runstage", d.runstage);
  return w.take();
}

std::string to_yaml(const std::vector<BundleEntry>& entries) {
  if (entries.empty()) return "BundleEntries: []\n";
  DocWriter w;
  w.raw("BundleEntries:\n");
  for (const auto& e : entries) {
    w.item_begin();
    w.string("hash", e.hash);
    w.string("name", e.name);
    w.number("mode", e.mode);
    w.number("size", e.size);
    if (e.timestamp) w.time("timestamp", *e.timestamp);
    w.item_end();
  }
  return w.take();
}

std::string to_yaml(const LabelDescriptor& d) {
  DocWriter w;
  if (!d.name.empty()) w.string("name", d.name);
  w.string("id", d.id);
  if (d.timestamp) w.time("timestamp", *d.timestamp);
  w.contributor_list("contributors", d.contributors);
  return w.take();
}

ContextDescriptor parse_context(std::string_view yaml, const std::string& what) {
  const auto root = load(yaml, what);
  ContextDescriptor d;
  d.name = get_string(root, "name", what);
  d.wal = get_string(root, "wal", what);
  d.readlog = get_string(root, "readlog", what);
  d.blob = get_string(root, "blob", what);
  d.metadata = get_string(root, "metadata", what);
  d.vmetadata = get_string(root, "vmetadata", what);
  d.version = get_uint(root, "version", what);
  return d;
}

RepoDescriptor parse_repo(std::string_view yaml, const std::string& what) {
  const auto root = load(yaml, what);
  RepoDescriptor d;
  d.name = get_string(root, "name", what);
  d.description = get_string(root, "description", what);
  d.timestamp = get_time(root, "timestamp", what);
  d.contributor = get_contributor(root["contributor"], what);
  return d;
}

BundleDescriptor parse_bundle(std::string_view yaml, const std::string& what) {
  const auto root = load(yaml, what);
  BundleDescriptor d;
  const uint64_t leaf = get_uint(root, "leafSize", what);
  if (leaf > UINT32_MAX) corrupt(what, "leafSize is out of range");
  d.leaf_size = static_cast<uint32_t>(leaf);
  d.id = get_string(root, "id", what);
  d.message = get_string(root, "message", what);
  if (const auto p = root["parents"]; p && !p.IsNull()) {
    if (!p.IsSequence()) corrupt(what, "key 'parents' is not a list");
    for (const auto& item : p) {
      if (!item.IsScalar()) corrupt(what, "a parent is not a string");
      d.parents.push_back(item.Scalar());
    }
  }
  d.timestamp = get_time(root, "timestamp", what);
  d.contributors = get_contributors(root, what);
  d.count = get_uint(root, "count", what);
  d.version = get_uint(root, "version", what);
  d.deduplication = get_string(root, "deduplication", what);
  d.runstage = get_string(root, "runstage", what);
  return d;
}

std::vector<BundleEntry> parse_bundle_entries(std::string_view yaml, const std::string& what) {
  return parse_index_stream(yaml, what);
}

LabelDescriptor parse_label(std::string_view yaml, const std::string& what) {
  const auto root = load(yaml, what);
  LabelDescriptor d;
  d.name = get_string(root, "name", what);
  d.id = get_string(root, "id", what);
  d.timestamp = get_time(root, "timestamp", what);
  d.contributors = get_contributors(root, what);
  return d;
}

}  // namespace dm::model
