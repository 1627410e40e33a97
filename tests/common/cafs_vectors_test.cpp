// The format spec's §10 test vectors: keys computed by the Go writer and by Python's hashlib.
#include <gtest/gtest.h>

#include "common/cafs/hasher.h"
#include "common/cafs/root_blob.h"
#include "common/cafs/writer.h"
#include "common/store/local_store.h"
#include "support/test_support.h"

namespace dm::cafs {
namespace {

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Vector {
  std::string name;
  std::string data;
  uint32_t leaf_size;
  std::vector<std::string> leaves;
  std::string root;
};

std::vector<Vector> vectors() {
  const std::string leaf0 =
      "a64c9ca97ded4033ad591d28daa1515f26cf4c7996978bdd43ee32756be78380b451dc3cf4969cc930564482d84a8246d5fd4c36b7598756"
      "240011279ccc1815";
  const std::string leaf1 =
      "252edbc039c31417a4ee3089e7b5ef35856d731cb801d3f9f169ee404fb5a5bf35047a6aa48433f500da84b1e9c3fbe97a63959548e725ca"
      "6d9f774e3891a4a7";
  const uint32_t L = 2097152;
  return {
      {"empty",
       "",
       L,
       {},
       "a0c4be8a8f5ea443fdd4b148ddd8b187416b07d955c62fc45d4ad4fb88a705a9d5229a236e5bea6c870d6bd232772c9d7df143164901543"
       "2cd74b266ac65a5b5"},
      {"hello",
       "hello",
       L,
       {"13024c6843b8ff9588a9733797828ddbd2d4dc410971c2d30870284b282462b40a2389b1d420a76edcbcce06d3bcc30de42c82fd50adcb"
        "8fdcb0a7aff49dda10"},
       "45262641fce10914ff28ccc7c9a7980eaed2c5660bdc94b3bb6f8a708f7a067b65c8af4ce4bdcc1fd8e84e4a5467830f603fb5edef6f1ed"
       "4037fd45338212eeb"},
      {"hello_world",
       "hello world\n",
       L,
       {"a80cbf802ec85d3513e67f96a53af975ee108641693332097d0bb263841195003c027cb3073fb5f1d621851ec9132b7431b8b3e3885362"
        "7d5a9f8cde4d62e099"},
       "6914dbf186447c478b265aea9e30383c05b8e15576641b12997dd4300639a997c5b04c39eeb00bcad6f3eed6f6d2f37bb99acb648b668e4"
       "27873d7af183e5777"},
      {"one_full_leaf",
       test::gen_bytes(2 * 1024 * 1024),
       L,
       {leaf0},
       "72530e649fb8ade908f2358e5e2c71f20f637e5373556186c23f75515f90dd927323ac5c27ed36d2382e242a74fd20d9fbc125143cc33f4"
       "f1f99003a8c580203"},
      {"leaf_plus_5",
       test::gen_bytes(2 * 1024 * 1024 + 5),
       L,
       {leaf0,
        "8157e49fb973712b96445941ad5861513317c11ff80f07f496d4d378e79561b530e5b042f645709a0c397098a1c7d789ea7f04c8eda0d2"
        "05afb4edbd500862c4"},
       "3894067dc123a4e45eb58e0d40f0753b4717cd52aaf49f146b5a05446b72097109e7e355ae830c990a47d7f8612b371828debe8b6197ea3"
       "12d02444678bca1d9"},
      {"two_full_leaves",
       test::gen_bytes(4 * 1024 * 1024),
       L,
       {leaf0, leaf1},
       "c5cbdd740b7c283911469164b9870b852c58bafd7b820e549a04aea5e8d1b3d93a123fb0ec9e7f4c072013fe77de84aae0556abbdc946d9"
       "9b02540f7f2d8aa22"},
      {"five_mib",
       test::gen_bytes(5 * 1024 * 1024),
       L,
       {leaf0, leaf1,
        "2df17de8a6811ede7fa4204b15ea4fe10f6f47de3d17547d21bb595c5a259fb4e96346542b4b6bdce51add6d15d46724e6c9814fc2923e"
        "2f09dd775e3cd8648d"},
       "4412bb15a2b11cccb7cf9f5239a3f090e6c0c1b1de680bf5a4ad0b8e04ab6463467b34ef3d84d8d5f6ecdc33a9017559ddc79202da4d905"
       "b2711b10d4378bd36"},
      {"small_leaf_size",
       test::gen_bytes(100000),
       32768,
       {"dced4395a400bfc6ddae1f27508ea381fdc77ddd98fee5b0178ec8778e74f5452a3e477c13e812309e64c57116123459fd6c3d7320acb1"
        "6616c4fd2a3360119e",
        "e30b2e4485a91489438b291f01e61d9246f32890066349c58a0747d725ce3236cd2504d79f0fc9eaa7e656b32f663ccb799cf916b77aa8"
        "08c313f6296e3eff27",
        "c876fea3415d2ce8360d7f8af68b9e7ddaf24f6d27f17ed2a684a50bb4fa2a2bcfce9c43cf66da5dfdb45eccc55eed0dc9dded26709946"
        "5834b7b8bfbfa549f4",
        "01662758e7d7e2f06887297a84ade462787f38499eb239545fb929afdb1e48133276c75c7edfd2016c894b04f935ffd9e236f633bd0c47"
        "daccc20b19c422af25"},
       "72afb6c420eda04b1cb1c9ab568ea6c20fe591b9aad213d45e6609e7bc668de4695a7b625a49e97889a9ed5dcc465bc257fe5c2877d13c7"
       "970d284c285bf5034"},
  };
}

class CafsVectors : public ::testing::TestWithParam<Vector> {};

TEST_P(CafsVectors, LeafAndRootKeysMatchGo) {
  const auto& v = GetParam();
  const uint64_t n = v.leaves.size();
  std::vector<Key> keys;
  for (uint64_t i = 0; i < n; ++i) {
    const auto chunk = v.data.substr(i * v.leaf_size, v.leaf_size);
    keys.push_back(leaf_key_at(bytes(chunk), v.leaf_size, i, n));
    EXPECT_EQ(keys.back().hex(), v.leaves[i]) << "leaf " << i;
  }
  EXPECT_EQ(root_key(keys, v.leaf_size).hex(), v.root);
}

TEST_P(CafsVectors, WriterStoresLeavesAndRootBlob) {
  const auto& v = GetParam();
  test::TempDir dir;
  store::LocalStore blobs(dir.path());
  ThreadPool pool(2);
  Writer writer(blobs, v.leaf_size, pool);
  const auto result = writer.put_bytes(v.data);
  EXPECT_EQ(result.root.hex(), v.root);
  EXPECT_EQ(result.leaves, v.leaves.size());
  for (const auto& leaf : v.leaves) EXPECT_TRUE(blobs.exists(leaf)) << leaf;
  const auto blob = blobs.get(v.root);
  EXPECT_EQ(blob.size(), 64 * (v.leaves.size() + 1));
  EXPECT_EQ(decode_root_blob(blob, result.root, v.leaf_size, "root").size(), v.leaves.size());

  // The same content through the file path (parallel leaves) gives the same root.
  const auto file = dir / "input.bin";
  test::write_file(file, v.data);
  test::TempDir dir2;
  store::LocalStore blobs2(dir2.path());
  Writer writer2(blobs2, v.leaf_size, pool);
  EXPECT_EQ(writer2.put_file(file).root.hex(), v.root);
}

INSTANTIATE_TEST_SUITE_P(Spec, CafsVectors, ::testing::ValuesIn(vectors()),
                         [](const auto& info) { return info.param.name; });

TEST(CafsVectors, RepoConstantRootOverOneLeafKey) {
  const auto leaf = Key::from_hex(
      "907fd469f998570163a79d10cb30fb75e7733760e6d0f865f7e31db4f8e7cd6590fd7a3e70d522e310bf2476383face2f00a05bd0d5bedf1"
      "457cdfd0e28a04d6");
  ASSERT_TRUE(leaf);
  const std::vector<Key> keys{*leaf};
  EXPECT_EQ(root_key(keys, 1572864).hex(),
            "878fd79c0e47f2c7d3c512eb352d41397bedf2677cd5a5e68d582f7864d2f5fe78216d7ce465880b629bd73ec9ccd999d3958d7f59"
            "55fbdcc8afc9a743eb0dd8");
}

TEST(CafsVectors, SameLeafContentGetsDifferentKeysAtDifferentPositions) {
  const auto data = test::gen_bytes(64);
  EXPECT_NE(leaf_key_at(bytes(data), 64, 0, 2), leaf_key_at(bytes(data), 64, 1, 2));
  EXPECT_NE(leaf_key_at(bytes(data), 64, 0, 1), leaf_key_at(bytes(data), 128, 0, 1));
}

}  // namespace
}  // namespace dm::cafs
