// Replays every checked-in fuzz input (fuzz/corpus/<target>/, the crashes found included)
// through the fuzz targets' own entry points, built into this suite under their plain names,
// so the regressions run with the normal compiler on every build, not only in the clang
// fuzz build. A target that traps or throws anything but dm::Error fails this test.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>

#include "common/config/config.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

extern "C" {
int documents_fuzz_one_input(const uint8_t* data, size_t size);
int yaml_scalar_fuzz_one_input(const uint8_t* data, size_t size);
int root_blob_fuzz_one_input(const uint8_t* data, size_t size);
int sidecar_config_fuzz_one_input(const uint8_t* data, size_t size);
int store_url_fuzz_one_input(const uint8_t* data, size_t size);
int s3_xml_fuzz_one_input(const uint8_t* data, size_t size);
int gcs_json_fuzz_one_input(const uint8_t* data, size_t size);
int config_file_fuzz_one_input(const uint8_t* data, size_t size);
}

namespace dm {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  int (*one_input)(const uint8_t*, size_t);
};

constexpr Target kTargets[] = {
    {"documents_fuzz", documents_fuzz_one_input}, {"yaml_scalar_fuzz", yaml_scalar_fuzz_one_input},
    {"root_blob_fuzz", root_blob_fuzz_one_input}, {"sidecar_config_fuzz", sidecar_config_fuzz_one_input},
    {"store_url_fuzz", store_url_fuzz_one_input}, {"s3_xml_fuzz", s3_xml_fuzz_one_input},
    {"gcs_json_fuzz", gcs_json_fuzz_one_input},   {"config_file_fuzz", config_file_fuzz_one_input},
};

TEST(FuzzCorpus, EveryTargetHasACorpusAndReplaysItCleanly) {
  const fs::path corpus = fs::path(DM_SOURCE_DIR) / "fuzz" / "corpus";
  size_t inputs = 0;
  for (const auto& t : kTargets) {
    SCOPED_TRACE(t.name);
    ASSERT_TRUE(fs::is_directory(corpus / t.name)) << "no corpus for " << t.name;
    size_t mine = 0;
    for (const auto& f : fs::directory_iterator(corpus / t.name)) {
      const auto data = test::read_file(f.path());
      SCOPED_TRACE(f.path().string());
      EXPECT_EQ(t.one_input(reinterpret_cast<const uint8_t*>(data.data()), data.size()), 0);
      ++mine;
    }
    EXPECT_GT(mine, 0U) << t.name;
    inputs += mine;
  }
  std::printf("reliability: fuzz corpus replayed inputs=%zu targets=%zu\n", inputs, std::size(kTargets));
}

// Found while writing config_file_fuzz (whose property is "dm::Error only"): a datamon.yaml
// whose key is a list or mapping made yaml-cpp throw its own BadConversion past the config
// reader; it is now refused naming the file. The two inputs are in the fuzz corpus as well.
TEST(FuzzRegressions, ConfigKeyThatIsNotAStringIsRefusedNamingTheFile) {
  for (const char* text : {"? [a, b]\n: 1\n", "metrics:\n  ? {a: 1}\n  : x\n"}) {
    SCOPED_TRACE(text);
    test::expect_error([&] { (void)config::parse_config_keys(text, "/etc/datamon2/datamon.yaml"); },
                       ErrorKind::InvalidArgument, {"/etc/datamon2/datamon.yaml"});
  }
}

}  // namespace
}  // namespace dm
