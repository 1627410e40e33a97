// Transfers to and from a local folder pay one durability barrier, not one per file (issue
// 14): `bundle upload` into a file:// store and `bundle download` into a folder are counted
// under strace, and their fsync calls must not grow with the number of files. Counts, never
// times: the number of calls does not depend on the machine's load.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "support/cli_fixture.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

constexpr int kFiles = 300;

// The calls of each traced syscall in an `strace -c` summary file.
std::map<std::string, long> syscall_counts(const fs::path& summary) {
  std::map<std::string, long> counts;
  std::istringstream in(test::read_file(summary));
  std::string line;
  while (std::getline(in, line)) {
    // "% time seconds usecs/call calls [errors] syscall": the name last, the calls fourth.
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.size() < 5 || f.back() == "total" || f.back() == "syscall") continue;
    try {
      counts[f.back()] = std::stol(f[3]);
    } catch (const std::exception&) {
      // a separator line
    }
  }
  return counts;
}

class DurabilityBarrier : public test::CliTest {
 protected:
  void SetUp() override {
    set_up_transfers({.files = kFiles,
                      .folders = 7,
                      .size_of = [](int i) { return static_cast<size_t>(3000 + i); },
                      .big_size = 5 * 1024 * 1024 + 3,
                      .big_seed = 99});
  }

  // Runs datamon `args` under `strace -f -c` for the sync calls; returns their counts.
  std::map<std::string, long> traced(const std::vector<std::string>& args, const std::string& name) {
    const auto summary = dir_ / (name + ".strace");
    std::vector<std::string> argv{
        "/usr/bin/strace", "-f", "-c", "-o", summary.string(), "-e", "trace=fsync,fdatasync,syncfs,sync", DATAMON_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = test::run(argv, env_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return syscall_counts(summary);
  }
};

TEST_F(DurabilityBarrier, UploadAndDownloadSyncOnceNotPerFile) {
  const auto up =
      traced({"bundle", "upload", "--path", src_.string(), "--repo", "r", "--message", "m", "--label", "l"}, "upload");
  // Over 600 blobs were written; the metadata (index, bundle.yaml, label) is a fixed handful.
  EXPECT_GE(up.count("syncfs") ? up.at("syncfs") : 0, 1) << "the blobs were never made durable";
  EXPECT_LT((up.count("fsync") ? up.at("fsync") : 0) + (up.count("fdatasync") ? up.at("fdatasync") : 0), 20)
      << "upload syncs per file again";

  const auto dest = dir_ / "dest";
  const auto down =
      traced({"bundle", "download", "--repo", "r", "--label", "l", "--destination", dest.string()}, "download");
  EXPECT_GE(down.count("syncfs") ? down.at("syncfs") : 0, 1) << "the downloaded files were never made durable";
  EXPECT_LT((down.count("fsync") ? down.at("fsync") : 0) + (down.count("fdatasync") ? down.at("fdatasync") : 0), 20)
      << "download syncs per file again";
  EXPECT_EQ(test::tree_contents(dest, {".datamon"}), test::tree_contents(src_));
  EXPECT_FALSE(fs::exists(dest / ".datamon/incomplete"));
}

}  // namespace
}  // namespace dm
