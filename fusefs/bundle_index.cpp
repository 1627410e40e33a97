#include "fusefs/bundle_index.h"

#include <algorithm>
#include <limits>

#include "common/util/error.h"
#include "fusefs/bundle_index_builder.h"

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
                         model::Timestamp default_time)
    : BundleIndex([&] {
        BundleIndexBuilder builder(bundle_id, default_time, entries.size());
        builder.add(entries, "");
        return std::move(builder).finish();
      }()) {}

std::string_view BundleIndex::name(Inode ino) const {
  return name_of(node(ino));
}

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

size_t BundleIndex::child_rank(Inode ino) const {
  if (ino == kRootInode) return 0;
  const auto kids = children(parent(ino));
  const auto it = std::lower_bound(kids.begin(), kids.end(), name(ino),
                                   [this](uint32_t row, std::string_view n) { return name_of(nodes_[row]) < n; });
  return static_cast<size_t>(it - kids.begin());
}

size_t BundleIndex::memory_bytes() const {
  return nodes_.size() * sizeof(Node) + keys_.size() * sizeof(cafs::Key) + children_.size() * sizeof(uint32_t) +
         names_.size();
}

}  // namespace dm::fusefs
