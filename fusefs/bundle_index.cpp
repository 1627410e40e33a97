#include "fusefs/bundle_index.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "common/transfer/download.h"
#include "common/util/error.h"

namespace dm::fusefs {

uint32_t BundleIndex::add_node(uint32_t parent, std::string_view name, bool is_dir) {
  if (nodes_.size() >= std::numeric_limits<uint32_t>::max() - 1 ||
      names_.size() + name.size() > std::numeric_limits<uint32_t>::max() ||
      name.size() > std::numeric_limits<uint16_t>::max()) {
    throw Error(ErrorKind::InvalidArgument, "bundle index is too large to mount (at '" + std::string(name) + "')");
  }
  Node n;
  n.parent = parent;
  n.name_offset = static_cast<uint32_t>(names_.size());
  n.name_length = static_cast<uint16_t>(name.size());
  n.is_dir = is_dir;
  names_.append(name);
  nodes_.push_back(n);
  return static_cast<uint32_t>(nodes_.size() - 1);
}

BundleIndex::BundleIndex(const std::vector<model::BundleEntry>& entries, const std::string& bundle_id,
                         model::Timestamp default_time) {
  const auto names = transfer::checked_entry_names(entries, bundle_id);
  nodes_.reserve(entries.size() + entries.size() / 4 + 1);
  keys_.reserve(entries.size());
  add_node(0, "", true);
  nodes_[0].mtime_seconds = default_time.seconds;
  nodes_[0].mtime_nanos = default_time.nanos;

  // Directory path -> row, only while building; the views point into `names`, which outlives it.
  std::unordered_map<std::string_view, uint32_t> dirs;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string_view full = names[i];
    const auto& entry = entries[i];
    const auto time = entry.timestamp.value_or(default_time);
    uint32_t parent = 0;
    size_t start = 0;
    for (size_t slash; (slash = full.find('/', start)) != std::string_view::npos; start = slash + 1) {
      const auto prefix = full.substr(0, slash);
      auto it = dirs.find(prefix);
      if (it == dirs.end()) {
        const uint32_t dir = add_node(parent, full.substr(start, slash - start), true);
        nodes_[dir].mtime_seconds = default_time.seconds;
        nodes_[dir].mtime_nanos = default_time.nanos;
        it = dirs.emplace(prefix, dir).first;
      }
      parent = it->second;
    }
    const auto key = cafs::Key::from_hex(entry.hash);
    if (!key) {
      throw Error(ErrorKind::Corrupt, "bundle " + bundle_id + " entry '" + entry.name + "' has a malformed hash");
    }
    const uint32_t row = add_node(parent, full.substr(start), false);
    Node& n = nodes_[row];
    n.size = entry.size;
    n.mtime_seconds = time.seconds;
    n.mtime_nanos = time.nanos;
    n.executable = (entry.mode & 0111) != 0;
    n.first = static_cast<uint32_t>(keys_.size());
    keys_.push_back(*key);
    total_bytes_ += entry.size;
  }

  // Every row but the root, grouped by parent and sorted by name: each directory's children
  // become one contiguous, binary-searchable run.
  children_.resize(nodes_.size() - 1);
  for (uint32_t r = 1; r < nodes_.size(); ++r) children_[r - 1] = r;
  std::sort(children_.begin(), children_.end(), [this](uint32_t a, uint32_t b) {
    const Node& x = nodes_[a];
    const Node& y = nodes_[b];
    if (x.parent != y.parent) return x.parent < y.parent;
    return name_of(x) < name_of(y);
  });
  for (size_t i = 0; i < children_.size(); ++i) {
    const uint32_t row = children_[i];
    Node& dir = nodes_[nodes_[row].parent];
    if (dir.count == 0) dir.first = static_cast<uint32_t>(i);
    ++dir.count;
    if (nodes_[row].is_dir) ++dir.subdirs;
    if (i > 0) {
      const Node& prev = nodes_[children_[i - 1]];
      const Node& cur = nodes_[row];
      if (prev.parent == cur.parent && name_of(prev) == name_of(cur)) {
        const auto what = prev.is_dir != cur.is_dir ? "is both a file and a directory" : "appears twice";
        throw Error(ErrorKind::Corrupt, "bundle " + bundle_id + ": entry '" + path(row + 1) + "' " + what);
      }
    }
  }
  names_.shrink_to_fit();
  nodes_.shrink_to_fit();
}

std::string_view BundleIndex::name(Inode ino) const { return name_of(node(ino)); }

std::string BundleIndex::path(Inode ino) const {
  std::vector<std::string_view> parts;
  for (Inode i = ino; i != kRootInode; i = parent(i)) parts.push_back(name(i));
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!out.empty()) out += '/';
    out.append(*it);
  }
  return out;
}

std::span<const uint32_t> BundleIndex::children(Inode dir) const {
  const Node& n = node(dir);
  if (!n.is_dir || n.count == 0) return {};
  return {children_.data() + n.first, n.count};
}

std::optional<Inode> BundleIndex::lookup(Inode dir, std::string_view name) const {
  const auto kids = children(dir);
  const auto it = std::lower_bound(kids.begin(), kids.end(), name,
                                   [this](uint32_t row, std::string_view n) { return name_of(nodes_[row]) < n; });
  if (it == kids.end() || name_of(nodes_[*it]) != name) return std::nullopt;
  return Inode{*it} + 1;
}

size_t BundleIndex::memory_bytes() const {
  return nodes_.capacity() * sizeof(Node) + keys_.capacity() * sizeof(cafs::Key) +
         children_.capacity() * sizeof(uint32_t) + names_.capacity();
}

}  // namespace dm::fusefs
