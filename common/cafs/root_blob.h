// The root blob: the object named by a file's root key (format spec §4.5).
//
// Layout: leafkey[0] ‖ … ‖ leafkey[n-1] ‖ root, raw 64-byte keys, so 64·(n+1) bytes. Parsing
// checks the length, that the trailing key is the root hash of the preceding keys, and (unlike
// Go, which forgets) that it equals the key the blob was fetched by.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/cafs/key.h"

namespace dm::cafs {

std::string encode_root_blob(const std::vector<Key>& leaves, const Key& root);

// Throws dm::Error(Corrupt) naming `object` when the blob is malformed or does not hash to `expected`.
std::vector<Key> decode_root_blob(std::string_view blob, const Key& expected, uint32_t leaf_size,
                                  const std::string& object);

}  // namespace dm::cafs
