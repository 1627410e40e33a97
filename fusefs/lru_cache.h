// LruCache: values by key, each with a charge (bytes, or 1 for a count), kept under a capacity
// by evicting the least recently used entries that are not pinned.
//
// Intrusive: an entry is one hash-map node that also links it into the recency list, so an
// insert allocates one node and a hit (find) allocates nothing, copies nothing and only relinks
// two pointers. An entry evicted to make room for an insert is handed to the eviction callback
// just before it is destroyed (a metric, a file to delete); erase() removes without calling it.
// Not thread-safe: the owner calls it under its own lock, and the callback runs under that lock.
#pragma once

#include <cstdint>
#include <functional>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace dm::fusefs {

template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class LruCache {
 public:
  using OnEvict = std::function<void(const Key& key, Value& value, uint64_t charge)>;

  explicit LruCache(uint64_t capacity, OnEvict on_evict = {}) : capacity_(capacity), on_evict_(std::move(on_evict)) {}
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  // The value, made the most recently used; null when absent.
  Value* find(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    unlink(it->second);
    link_newest(it->second);
    return &it->second.value;
  }
  // The value, its recency unchanged; null when absent.
  Value* peek(const Key& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }
  bool contains(const Key& key) const { return map_.count(key) != 0; }

  // Inserts `value` as the most recently used entry. To make room it evicts, least recent
  // first, the entries that are not pinned and for which `may_evict(value)` is true, until
  // `charge` fits. Returns the stored value, or null when nothing was inserted: the key is
  // present already (it is left as it is), `charge` exceeds the capacity (nothing is
  // evicted), or every entry that could go has gone and it still does not fit (those stay
  // evicted: the caller serves its value without keeping it).
  template <class MayEvict>
  Value* insert(const Key& key, Value value, uint64_t charge, MayEvict may_evict) {
    if (charge > capacity_ || contains(key)) return nullptr;
    for (Node* victim = oldest_; victim != nullptr && used_ + charge > capacity_;) {
      Node* newer = victim->newer;
      if (victim->pins == 0 && may_evict(std::as_const(victim->value))) evict(*victim);
      victim = newer;
    }
    if (used_ + charge > capacity_) return nullptr;
    auto [it, inserted] = map_.emplace(std::piecewise_construct, std::forward_as_tuple(key),
                                       std::forward_as_tuple(std::move(value), charge));
    it->second.key = &it->first;  // node addresses are stable across rehashing
    link_newest(it->second);
    used_ += charge;
    return &it->second.value;
  }
  Value* insert(const Key& key, Value value, uint64_t charge) {
    return insert(key, std::move(value), charge, [](const Value&) { return true; });
  }

  // Keeps the entry from being evicted until the matching unpin() (pins count; erase() still
  // removes a pinned entry). Returns false when the key is absent.
  bool pin(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    ++it->second.pins;
    return true;
  }
  // Undoes one pin(); nothing when the entry is absent (erased meanwhile) or not pinned.
  void unpin(const Key& key) {
    auto it = map_.find(key);
    if (it != map_.end() && it->second.pins > 0) --it->second.pins;
  }

  // Removes the entry without calling the eviction callback; returns whether it was there.
  bool erase(const Key& key) {
    auto it = map_.find(key);
    if (it == map_.end()) return false;
    remove(it);
    return true;
  }

  // The sum of the charges of the entries held.
  uint64_t charge() const { return used_; }
  uint64_t capacity() const { return capacity_; }
  size_t size() const { return map_.size(); }

 private:
  struct Node {
    Node(Value v, uint64_t c) : value(std::move(v)), charge(c) {}
    Value value;
    uint64_t charge;
    uint32_t pins = 0;
    const Key* key = nullptr;  // the map's own copy
    Node* newer = nullptr;
    Node* older = nullptr;
  };
  using Map = std::unordered_map<Key, Node, Hash, KeyEqual>;

  void unlink(Node& node) {
    (node.newer ? node.newer->older : newest_) = node.older;
    (node.older ? node.older->newer : oldest_) = node.newer;
    node.newer = node.older = nullptr;
  }
  void link_newest(Node& node) {
    node.older = newest_;
    node.newer = nullptr;
    (newest_ ? newest_->newer : oldest_) = &node;
    newest_ = &node;
  }
  void remove(typename Map::iterator it) {
    unlink(it->second);
    used_ -= it->second.charge;
    map_.erase(it);
  }
  void evict(Node& node) {
    auto it = map_.find(*node.key);
    if (on_evict_) on_evict_(it->first, it->second.value, it->second.charge);
    remove(it);
  }

  uint64_t capacity_;
  OnEvict on_evict_;
  Map map_;
  Node* newest_ = nullptr;
  Node* oldest_ = nullptr;
  uint64_t used_ = 0;
};

}  // namespace dm::fusefs
