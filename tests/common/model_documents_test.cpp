// YAML documents against the spec's yaml.v2 output, and parsing leniency/strictness.
#include <gtest/gtest.h>

#include <functional>

#include "common/model/documents.h"
#include "common/model/go_yaml.h"
#include "common/model/ksuid.h"
#include "common/util/error.h"
#include "support/expect_error.h"

namespace dm::model {
namespace {

Timestamp ts(std::string_view text) {
  auto t = Timestamp::parse(text);
  EXPECT_TRUE(t) << text;
  return *t;
}

TEST(Documents, ContextMatchesGo) {
  ContextDescriptor d{"dev", "dev-wal", "dev-read-log", "dev-blob", "dev-metadata", "dev-v-metadata", 0};
  const std::string want =
      "name: dev\nwal: dev-wal\nreadlog: dev-read-log\nblob: dev-blob\nmetadata: dev-metadata\n"
      "vmetadata: dev-v-metadata\nversion: 0\n";
  EXPECT_EQ(to_yaml(d), want);
  EXPECT_EQ(parse_context(want, "ctx"), d);
}

TEST(Documents, RepoMatchesGo) {
  RepoDescriptor d;
  d.name = "my-repo";
  d.description = "test repo";
  d.timestamp = ts("2023-01-17T10:42:07.987654321-08:00");
  d.contributor = {"Jane Doe", "jane@example.com"};
  const std::string want =
      "name: my-repo\ndescription: test repo\ntimestamp: 2023-01-17T10:42:07.987654321-08:00\n"
      "contributor:\n  name: Jane Doe\n  email: jane@example.com\n";
  EXPECT_EQ(to_yaml(d), want);
  EXPECT_EQ(parse_repo(want, "repo"), d);
  d.contributor = {};
  EXPECT_EQ(to_yaml(d).find("contributor"), std::string::npos);
}

TEST(Documents, BundleMatchesGo) {
  BundleDescriptor d;
  d.leaf_size = 2097152;
  d.id = "2KSvihgIbavOzCvi6O28icARnsG";
  d.message = "initial upload";
  d.timestamp = ts("2023-01-17T18:42:07.123456789Z");
  d.contributors = {{"Jane Doe", "jane@example.com"}};
  d.count = 2;
  d.version = 2;
  d.deduplication = "blake";
  const std::string want =
      "leafSize: 2097152\nid: 2KSvihgIbavOzCvi6O28icARnsG\nmessage: initial upload\n"
      "timestamp: 2023-01-17T18:42:07.123456789Z\ncontributors:\n- name: Jane Doe\n  email: jane@example.com\n"
      "count: 2\nversion: 2\ndeduplication: blake\n";
  EXPECT_EQ(to_yaml(d), want);
  EXPECT_EQ(parse_bundle(want, "b"), d);
}

TEST(Documents, BundleVariantsMatchGo) {
  BundleDescriptor d;
  d.leaf_size = 2097152;
  d.id = "x";
  d.message = "multi\nline: yes";
  d.parents = {"1INzQ5TV4vAAfU2PbRFgPfnzEwR"};
  const auto y = to_yaml(d);
  EXPECT_NE(y.find("message: |-\n  multi\n  line: yes\nparents:\n- 1INzQ5TV4vAAfU2PbRFgPfnzEwR\ncontributors: []\n"),
            std::string::npos)
      << y;
  EXPECT_EQ(parse_bundle(y, "b").message, d.message);
  d.message = "123";
  EXPECT_NE(to_yaml(d).find("message: \"123\"\n"), std::string::npos);
  EXPECT_EQ(parse_bundle(to_yaml(d), "b").message, "123");
}

TEST(Documents, ScalarQuotingFollowsYamlV2) {
  auto scalar = [](std::string_view v) {
    std::string out;
    append_yaml_string(out, v, 6, 0);
    return out;
  };
  EXPECT_EQ(scalar("plain"), "plain");
  EXPECT_EQ(scalar(""), "\"\"");
  EXPECT_EQ(scalar("123"), "\"123\"");
  EXPECT_EQ(scalar("true"), "\"true\"");
  EXPECT_EQ(scalar("y"), "\"y\"");
  EXPECT_EQ(scalar("1.5"), "\"1.5\"");
  EXPECT_EQ(scalar("0x1F"), "\"0x1F\"");
  EXPECT_EQ(scalar("2023-01-01"), "\"2023-01-01\"");
  EXPECT_EQ(scalar(" lead space"), "' lead space'");
  EXPECT_EQ(scalar("/mut/x: y.txt"), "'/mut/x: y.txt'");
  EXPECT_EQ(scalar("it's"), "it's");
  EXPECT_EQ(scalar("#comment"), "'#comment'");
  EXPECT_EQ(scalar("- dash"), "'- dash'");
  EXPECT_EQ(scalar("sub dir/empty.bin"), "sub dir/empty.bin");
  EXPECT_EQ(scalar("héllo wörld"), "héllo wörld");
  EXPECT_EQ(scalar("tab\there"), "\"tab\\there\"");
}

TEST(Documents, LongPlainTextFoldsAtColumnEighty) {
  BundleDescriptor d;
  d.leaf_size = 64;
  d.id = "x";
  d.message = std::string(75, 'a') + " " + std::string(20, 'b') + " tail";
  const auto y = to_yaml(d);
  EXPECT_NE(y.find("message: " + std::string(75, 'a') + "\n  " + std::string(20, 'b') + " tail\n"), std::string::npos)
      << y;
  EXPECT_EQ(parse_bundle(y, "b").message, d.message);
}

TEST(Documents, IndexMatchesGo) {
  std::vector<BundleEntry> entries{{"45262641fce10914ff28ccc7c9a7980eaed2c5660bdc94b3bb6f8a708f7a067b65c8af4ce4bdcc1fd8"
                                    "e84e4a5467830f603fb5edef6f1ed4037fd45338212eeb",
                                    "hello.txt", 0, 5, std::nullopt},
                                   {"a0c4be8a8f5ea443fdd4b148ddd8b187416b07d955c62fc45d4ad4fb88a705a9d5229a236e5bea6c87"
                                    "0d6bd232772c9d7df1431649015432cd74b266ac65a5b5",
                                    "sub dir/empty.bin", 0, 0, std::nullopt}};
  const std::string want =
      "BundleEntries:\n- hash: "
      "45262641fce10914ff28ccc7c9a7980eaed2c5660bdc94b3bb6f8a708f7a067b65c8af4ce4bdcc1fd8e84e4a5467830f603fb5edef6f1ed4"
      "037fd45338212eeb\n"
      "  name: hello.txt\n  mode: 0\n  size: 5\n- hash: "
      "a0c4be8a8f5ea443fdd4b148ddd8b187416b07d955c62fc45d4ad4fb88a705a9d5229a236e5bea6c870d6bd232772c9d7df1431649015432"
      "cd74b266ac65a5b5\n"
      "  name: sub dir/empty.bin\n  mode: 0\n  size: 0\n";
  EXPECT_EQ(to_yaml(entries), want);
  EXPECT_EQ(parse_bundle_entries(want, "idx"), entries);
  EXPECT_EQ(to_yaml(std::vector<BundleEntry>{}), "BundleEntries: []\n");
}

TEST(Documents, LabelMatchesGo) {
  LabelDescriptor d{
      "init", "2KSvihgIbavOzCvi6O28icARnsG", ts("2023-01-17T18:42:07.123456789Z"), {{"Jane Doe", "jane@example.com"}}};
  const std::string want =
      "name: init\nid: 2KSvihgIbavOzCvi6O28icARnsG\ntimestamp: 2023-01-17T18:42:07.123456789Z\n"
      "contributors:\n- name: Jane Doe\n  email: jane@example.com\n";
  EXPECT_EQ(to_yaml(d), want);
  EXPECT_EQ(parse_label(want, "l"), d);
  d.contributors = {{"", ""}};
  EXPECT_NE(to_yaml(d).find("- name: \"\"\n  email: \"\"\n"), std::string::npos);
}

TEST(Documents, ParsingIsLenientLikeGo) {
  // Unknown keys ignored, quoted or spaced timestamps accepted, missing keys zero.
  const auto d =
      parse_bundle("leafSize: 2097152\nid: abc\nfuture: [1, 2]\ntimestamp: \"2023-01-17 18:42:07.5+02:00\"\n", "b");
  EXPECT_EQ(d.leaf_size, 2097152u);
  EXPECT_EQ(d.count, 0u);
  EXPECT_EQ(d.version, 0u);
  ASSERT_TRUE(d.timestamp);
  EXPECT_EQ(d.timestamp->rfc3339nano(), "2023-01-17T18:42:07.5+02:00");
}

TEST(Documents, BadDocumentsAreCorruptAndNamed) {
  const std::string what = "gs://b/bundles/r/x/bundle.yaml";
  auto expect_corrupt = [&](const std::function<void()>& fn, const std::string& needle) {
    SCOPED_TRACE(needle);
    test::expect_error(fn, ErrorKind::Corrupt, {what, needle});
  };
  expect_corrupt([&] { parse_bundle("leafSize: \"2097152\"\n", what); }, "leafSize");
  expect_corrupt([&] { parse_bundle("leafSize: [\n", what); }, "syntax");
  expect_corrupt([&] { parse_bundle("- a\n- b\n", what); }, "mapping");
  expect_corrupt([&] { parse_bundle("leafSize: 1\ntimestamp: yesterday\n", what); }, "timestamp");
  expect_corrupt([&] { parse_bundle_entries("BundleEntries:\n- name: a\n  size: 1\n", what); }, "no hash");
  expect_corrupt([&] { parse_bundle("count: -1\n", what); }, "count");
}

TEST(Timestamps, FormatLikeRfc3339Nano) {
  EXPECT_EQ(ts("2023-01-17T18:42:07.123456789Z").rfc3339nano(), "2023-01-17T18:42:07.123456789Z");
  EXPECT_EQ(ts("2023-01-17T18:42:07.120000000Z").rfc3339nano(), "2023-01-17T18:42:07.12Z");
  EXPECT_EQ(ts("2023-01-17T18:42:07Z").rfc3339nano(), "2023-01-17T18:42:07Z");
  EXPECT_EQ(ts("2023-01-17T10:42:07.987654321-08:00").rfc3339nano(), "2023-01-17T10:42:07.987654321-08:00");
  EXPECT_EQ(ts("2023-01-17T10:42:07-08:00").seconds, ts("2023-01-17T18:42:07Z").seconds);
  EXPECT_FALSE(Timestamp::parse("2023-13-01T00:00:00Z"));
  EXPECT_FALSE(Timestamp::parse("not a time"));
}

TEST(Ksuid, MatchesSegmentioVectors) {
  KsuidBytes raw{0x10, 0x54, 0x9d, 0xff, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a,
                 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
  EXPECT_EQ(ksuid_encode(raw), "2KSvihgIbavOzCvi6O28icARnsG");
  EXPECT_EQ(ksuid_decode("2KSvihgIbavOzCvi6O28icARnsG"), raw);
  EXPECT_EQ(ksuid_time("2KSvihgIbavOzCvi6O28icARnsG"), ts("2023-01-17T18:42:07Z").seconds);
  KsuidBytes ff;
  ff.fill(0xff);
  EXPECT_EQ(ksuid_encode(ff), "aWgEPTl1tmebfsQzFP4bxwgy80V");
  EXPECT_EQ(ksuid_encode(KsuidBytes{}), "000000000000000000000000000");
  EXPECT_EQ(ksuid_time("1INzQ5TV4vAAfU2PbRFgPfnzEwR"), ts("2019-03-13T05:10:24Z").seconds);
  EXPECT_FALSE(ksuid_decode("aWgEPTl1tmebfsQzFP4bxwgy80W"));  // one past the maximum
  EXPECT_FALSE(ksuid_decode("short"));
  const auto a = ksuid_new();
  EXPECT_EQ(a.size(), 27u);
  EXPECT_NE(a, ksuid_new());
}

}  // namespace
}  // namespace dm::model
