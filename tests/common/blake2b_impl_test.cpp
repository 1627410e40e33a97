// The libb2 variants the hasher may run: each must give the same keys, and the choice must
// be one of them.
#include "common/cafs/blake2b_impl.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/cafs/hasher.h"
#include "common/cafs/key.h"
#include "common/util/hex.h"

namespace dm::cafs {
namespace {

// BLAKE2b-512 with `impl`, sequential mode (fanout 1, depth 1) or datamon's leaf parameters
// (spec §4: fanout 0, depth 2, leaf_length L, node_offset 0, inner 64, last), fed in `piece`
// sized steps.
std::string digest(const Blake2bImpl& impl, const std::string& data, bool datamon_last_leaf, size_t piece) {
  blake2b_param p;
  std::memset(&p, 0, sizeof p);
  p.digest_length = BLAKE2B_OUTBYTES;
  p.fanout = datamon_last_leaf ? 0 : 1;
  p.depth = datamon_last_leaf ? 2 : 1;
  if (datamon_last_leaf) {
    p.leaf_length = kDefaultLeafSize;
    p.inner_length = BLAKE2B_OUTBYTES;
  }
  blake2b_state s;
  EXPECT_EQ(impl.init_param(&s, &p), 0);
  if (datamon_last_leaf) s.last_node = 1;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  for (size_t at = 0; at < data.size(); at += piece) {
    EXPECT_EQ(impl.update(&s, bytes + at, std::min(piece, data.size() - at)), 0);
  }
  uint8_t out[BLAKE2B_OUTBYTES];
  EXPECT_EQ(impl.final(&s, out, sizeof out), 0);
  return to_hex(out);
}

TEST(Blake2bImpl, DebiansFatLibb2OffersBothCandidates) {
  // Without the portable variant there is nothing to measure: the choice silently becomes the
  // dispatcher's, which is the slower one on some CPUs.
  const auto impls = blake2b_impls();
  ASSERT_EQ(impls.size(), 2U);
  EXPECT_EQ(impls[0].name, "dispatcher");
  EXPECT_EQ(impls[1].name, "portable");
}

TEST(Blake2bImpl, EveryVariantGivesTheRfcDigestAndDatamonsLeafKey) {
  for (const auto& impl : blake2b_impls()) {
    SCOPED_TRACE(std::string(impl.name));
    // RFC 7693, appendix A.
    EXPECT_EQ(digest(impl, "abc", false, 3),
              "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38a"
              "a8dbf1925ab92386edd4009923");
    // Spec §10: the leaf key of "hello".
    EXPECT_EQ(digest(impl, "hello", true, 5),
              "13024c6843b8ff9588a9733797828ddbd2d4dc410971c2d30870284b282462b40a2389b1d420a76edcbcce06d3bcc30de42c82fd"
              "50adcb8fdcb0a7aff49dda10");
  }
}

TEST(Blake2bImpl, VariantsAgreeOnALeafFedInUnevenPieces) {
  std::string leaf(kDefaultLeafSize - 77, '\0');
  for (size_t i = 0; i < leaf.size(); ++i) leaf[i] = static_cast<char>((i * 2654435761U) >> 13);
  const auto impls = blake2b_impls();
  const auto reference = digest(impls[0], leaf, true, leaf.size());
  for (const auto& impl : impls) {
    SCOPED_TRACE(std::string(impl.name));
    EXPECT_EQ(digest(impl, leaf, true, 4099), reference);
    EXPECT_EQ(digest(impl, leaf, true, 512 * 1024), reference);
  }
}

TEST(Blake2bImpl, TheChoiceIsOneOfTheCandidatesAndStaysPut) {
  const auto& chosen = blake2b_impl();
  EXPECT_EQ(&chosen, &blake2b_impl());
  bool listed = false;
  for (const auto& impl : blake2b_impls())
    listed = listed || (impl.update == chosen.update && impl.name == chosen.name);
  EXPECT_TRUE(listed) << chosen.name;
}

}  // namespace
}  // namespace dm::cafs
