#include "fusefs/bundle_index_builder.h"

#include <algorithm>
#include <cstring>

#include "common/transfer/download.h"
#include "common/util/error.h"

namespace dm::fusefs {

namespace {

// Beyond this the table grows as entries arrive: a bundle.yaml's count is not trusted with a
// reservation of any size.
constexpr size_t kMaxReservedEntries = size_t{16} << 20;

}  // namespace

BundleIndexBuilder::BundleIndexBuilder(std::string bundle_id, model::Timestamp default_time, size_t expected_entries)
    : bundle_id_(std::move(bundle_id)), default_time_(default_time) {
  // Reserved but untouched capacity is address space, not memory: over-reserving is free,
  // while growing by copies would make the peak twice the table.
  const size_t expected = std::min(expected_entries, kMaxReservedEntries);
  index_.nodes_.reserve(expected + expected / 4 + 1);
  index_.keys_.reserve(expected);
  const uint32_t root = index_.add_node(0, "", true);
  index_.nodes_[root].mtime_seconds = default_time_.seconds;
  index_.nodes_[root].mtime_nanos = default_time_.nanos;
}

std::string BundleIndexBuilder::where(const std::string& source) const {
  return source.empty() ? std::string() : " (index file " + source + ")";
}

uint32_t BundleIndexBuilder::directory(uint32_t parent, std::string_view name) {
  probe_.assign(reinterpret_cast<const char*>(&parent), sizeof parent);
  probe_.append(name);
  const auto it = directories_.find(probe_);
  if (it != directories_.end()) return it->second;
  const uint32_t row = index_.add_node(parent, name, true);
  index_.nodes_[row].mtime_seconds = default_time_.seconds;
  index_.nodes_[row].mtime_nanos = default_time_.nanos;
  directories_.emplace(probe_, row);
  return row;
}

void BundleIndexBuilder::add(const std::vector<model::BundleEntry>& entries, const std::string& source) {
  std::vector<std::string> names;
  try {
    names = transfer::checked_entry_names(entries, bundle_id_);
  } catch (const Error& e) {
    throw Error(e.kind(), e.what() + where(source));
  }
  sources_.emplace_back(static_cast<uint32_t>(index_.nodes_.size()), source);
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string_view full = names[i];
    const auto& entry = entries[i];
    const auto key = cafs::Key::from_hex(entry.hash);
    if (!key) {
      throw Error(ErrorKind::Corrupt, "bundle " + bundle_id_ + " entry " + dm::quoted(entry.name) +
                                          " has a malformed hash" + where(source));
    }
    if (entry.size == 0 && empty_root_ && *key != *empty_root_) {
      throw Error(ErrorKind::Corrupt, "bundle " + bundle_id_ + " entry " + dm::quoted(entry.name) +
                                          " has size 0 but a root key that is not empty content's" + where(source));
    }
    const size_t last_slash = full.rfind('/');
    const std::string_view dir_path =
        last_slash == std::string_view::npos ? std::string_view() : full.substr(0, last_slash);
    uint32_t parent = 0;
    if (!dir_path.empty() && dir_path == last_dir_path_) {
      parent = last_dir_row_;
    } else if (!dir_path.empty()) {
      size_t start = 0;
      for (size_t slash; (slash = full.find('/', start)) != std::string_view::npos; start = slash + 1) {
        parent = directory(parent, full.substr(start, slash - start));
      }
      last_dir_path_.assign(dir_path);
      last_dir_row_ = parent;
    }
    const std::string_view leaf = last_slash == std::string_view::npos ? full : full.substr(last_slash + 1);
    const uint32_t row = index_.add_node(parent, leaf, false);
    const auto time = entry.timestamp.value_or(default_time_);
    BundleIndex::Node& n = index_.nodes_[row];
    n.size = entry.size;
    n.mtime_seconds = time.seconds;
    n.mtime_nanos = time.nanos;
    n.executable = (entry.mode & 0111) != 0;
    n.first = static_cast<uint32_t>(index_.keys_.size());
    index_.keys_.push_back(*key);
    index_.total_bytes_ += entry.size;
  }
}

const std::string& BundleIndexBuilder::source_of(uint32_t row) const {
  const auto it =
      std::upper_bound(sources_.begin(), sources_.end(), row, [](uint32_t r, const auto& s) { return r < s.first; });
  static const std::string kNone;
  return it == sources_.begin() ? kNone : std::prev(it)->second;
}

BundleIndex BundleIndexBuilder::finish() && {
  std::unordered_map<std::string, uint32_t>().swap(directories_);
  BundleIndex& ix = index_;
  // Every row but the root, grouped by parent and sorted by name: each directory's children
  // become one contiguous, binary-searchable run.
  ix.children_.resize(ix.nodes_.size() - 1);
  for (uint32_t r = 1; r < ix.nodes_.size(); ++r) ix.children_[r - 1] = r;
  std::sort(ix.children_.begin(), ix.children_.end(), [&ix](uint32_t a, uint32_t b) {
    const BundleIndex::Node& x = ix.nodes_[a];
    const BundleIndex::Node& y = ix.nodes_[b];
    if (x.parent != y.parent) return x.parent < y.parent;
    return ix.name_of(x) < ix.name_of(y);
  });
  for (size_t i = 0; i < ix.children_.size(); ++i) {
    const uint32_t row = ix.children_[i];
    BundleIndex::Node& dir = ix.nodes_[ix.nodes_[row].parent];
    if (dir.count == 0) dir.first = static_cast<uint32_t>(i);
    ++dir.count;
    if (ix.nodes_[row].is_dir) ++dir.subdirs;
    if (i == 0) continue;
    const uint32_t prev_row = ix.children_[i - 1];
    const BundleIndex::Node& prev = ix.nodes_[prev_row];
    const BundleIndex::Node& cur = ix.nodes_[row];
    if (prev.parent != cur.parent || ix.name_of(prev) != ix.name_of(cur)) continue;
    const auto what = prev.is_dir != cur.is_dir ? "is both a file and a directory" : "appears twice";
    const auto& first = source_of(std::min(prev_row, row));
    const auto& second = source_of(std::max(prev_row, row));
    const std::string files = first == second || second.empty() ? where(first)
                              : first.empty()                   ? where(second)
                                                                : " (index files " + first + " and " + second + ")";
    throw Error(ErrorKind::Corrupt, "bundle " + bundle_id_ + ": entry '" + ix.path(row + 1) + "' " + what + files);
  }
  return std::move(index_);
}

}  // namespace dm::fusefs
