// Catalog and transfer together on a local context: commit order, latest, labels, index split,
// and every bad-input case leaving nothing a reader would pick.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "common/model/catalog.h"
#include "common/model/paths.h"
#include "common/store/local_store.h"
#include "common/transfer/download.h"
#include "common/transfer/upload.h"
#include "common/util/error.h"
#include "support/expect_error.h"
#include "support/test_support.h"

namespace dm {
namespace {

namespace fs = std::filesystem;

// File permissions apply to this thread, and to the threads it starts, even as root: while it
// lives, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH are out of the thread's effective set (they
// stay permitted, so the destructor takes them back). Without root it changes nothing.
class FilePermissionsApply {
 public:
  FilePermissionsApply() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) throw std::runtime_error("capget failed");
    __user_cap_data_struct dropped[2] = {saved_[0], saved_[1]};
    dropped[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    if (::syscall(SYS_capset, &header_, dropped) != 0) throw std::runtime_error("capset failed");
  }
  ~FilePermissionsApply() { ::syscall(SYS_capset, &header_, saved_); }
  FilePermissionsApply(const FilePermissionsApply&) = delete;
  FilePermissionsApply& operator=(const FilePermissionsApply&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2]{};
};

class LocalContext : public ::testing::Test {
 protected:
  LocalContext() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), blobs_(dir_ / "blob"), catalog_(meta_, vmeta_) {
    model::RepoDescriptor r;
    r.name = "repo";
    r.description = "a description";
    catalog_.create_repo(r);
  }

  std::string upload(const fs::path& src, const std::string& label = "") {
    transfer::UploadOptions o;
    o.repo = "repo";
    o.message = "a message";
    o.label = label;
    o.contributor = {"t", "t@example.com"};
    o.show_progress = false;
    return transfer::upload_bundle(transfer::scan_tree(src), catalog_, blobs_, o).bundle_id;
  }

  fs::path download(const std::string& id, const std::string& where) {
    const auto b = catalog_.get_bundle("repo", id);
    transfer::DownloadOptions o;
    o.show_progress = false;
    transfer::download_bundle(b, catalog_.get_entries("repo", b), blobs_, dir_ / where, o);
    return dir_ / where;
  }

  size_t count_objects(store::Store& s, const std::string& prefix) {
    size_t n = 0;
    s.list(prefix, "", [&](const store::ListEntry&) { ++n; });
    return n;
  }

  test::TempDir dir_;
  store::LocalStore meta_, vmeta_, blobs_;
  model::Catalog catalog_;
};

TEST_F(LocalContext, NestedUnicodeAndSpaceNamesRoundTrip) {
  const auto src = dir_ / "src";
  test::write_file(src / "a.txt", "hello");
  test::write_file(src / "dir one/ünïcødé файл.bin", test::random_bytes(3 * 1024 * 1024 + 17, 1));
  test::write_file(src / "deep/er/and/deeper/empty", "");
  test::write_file(src / "sub/.datamon/kept", "nested .datamon is uploaded, as in Go");
  test::write_file(src / ".datamon/skipped", "top-level .datamon is not");
  ::chmod((src / "a.txt").c_str(), 0751);
  const auto id = upload(src, "v1");
  const auto out = download(id, "out");
  auto want = test::tree_contents(src, {".datamon"});
  EXPECT_EQ(test::tree_contents(out, {".datamon"}), want);
  EXPECT_EQ(want.size(), 4u);
  struct stat st {};
  ASSERT_EQ(::stat((out / "a.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0751u);
  EXPECT_TRUE(fs::exists(out / ".datamon" / (id + ".yaml")));
  EXPECT_EQ(catalog_.get_label("repo", "v1").id, id);
}

// The upload records a set-user-ID program as it is; the download, run as root by a sidecar,
// must not recreate it as a privileged program on the say of an untrusted bundle.
TEST_F(LocalContext, DownloadDropsSetIdAndStickyBits) {
  const auto src = dir_ / "src";
  test::write_file(src / "suid", "#!/bin/sh\n");
  test::write_file(src / "sgid-sticky", "data");
  test::write_file(src / "only-special", "data");
  ASSERT_EQ(::chmod((src / "suid").c_str(), 04755), 0);
  ASSERT_EQ(::chmod((src / "sgid-sticky").c_str(), 03640), 0);
  ASSERT_EQ(::chmod((src / "only-special").c_str(), 04000), 0);
  const auto id = upload(src);
  const auto entries = catalog_.get_entries("repo", catalog_.get_bundle("repo", id));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].mode, 04755u) << entries[2].name;  // recorded as found
  // Under a umask that takes bits away, each file still gets exactly its entry's.
  const mode_t before = ::umask(077);
  const auto out = download(id, "out");
  ::umask(before);
  const auto mode_of = [&](const char* name) {
    struct stat st {};
    EXPECT_EQ(::stat((out / name).c_str(), &st), 0) << name;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode_of("suid"), 0755u);
  EXPECT_EQ(mode_of("sgid-sticky"), 0640u);
  EXPECT_EQ(mode_of("only-special"), 0644u);
}

TEST_F(LocalContext, IndexIsSortedAndSplitAtOneThousand) {
  const auto src = dir_ / "src";
  for (int i = 0; i < 2345; ++i) test::write_file(src / fmt::format("f{}", i), std::to_string(i % 7));
  const auto id = upload(src);
  const auto b = catalog_.get_bundle("repo", id);
  EXPECT_EQ(b.count, 3u);
  EXPECT_EQ(model::parse_bundle_entries(meta_.get(model::index_path("repo", id, 0)), "i0").size(), 1000u);
  EXPECT_EQ(model::parse_bundle_entries(meta_.get(model::index_path("repo", id, 2)), "i2").size(), 345u);
  const auto entries = catalog_.get_entries("repo", b);
  ASSERT_EQ(entries.size(), 2345u);
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end(), [](auto& a, auto& c) { return a.name < c.name; }));
  EXPECT_EQ(test::tree_contents(download(id, "out"), {".datamon"}), test::tree_contents(src));
}

TEST_F(LocalContext, SameTreeTwiceGivesSameIndexAndNoNewBlobs) {
  const auto src = dir_ / "src";
  test::write_file(src / "x", test::random_bytes(5 * 1024 * 1024, 5));
  test::write_file(src / "y", "y");
  const auto a = upload(src);
  const size_t blobs = count_objects(blobs_, "");
  const auto b = upload(src);
  EXPECT_NE(a, b);
  EXPECT_EQ(count_objects(blobs_, ""), blobs);
  EXPECT_EQ(meta_.get(model::index_path("repo", a, 0)), meta_.get(model::index_path("repo", b, 0)));
}

TEST_F(LocalContext, LatestSkipsBundlesWithoutDescriptor) {
  const auto src = dir_ / "src";
  test::write_file(src / "x", "x");
  const auto id = upload(src);
  // An interrupted upload with a greater id: index file but no bundle.yaml.
  meta_.put(model::index_path("repo", "zzzzzzzzzzzzzzzzzzzzzzzzzzz", 0), "BundleEntries: []\n",
            store::PutMode::NoOverwrite);
  EXPECT_EQ(catalog_.latest_bundle("repo"), id);
  EXPECT_EQ(catalog_.list_bundles("repo").size(), 1u);
  EXPECT_EQ(catalog_.resolve_bundle("repo", "", ""), id);
}

// A source file whose permissions forbid reading it: the upload fails naming it, though the
// files before it were stored, and neither a bundle nor its label is committed.
TEST_F(LocalContext, UnreadableSourceFileLeavesNoBundle) {
  const auto src = dir_ / "src";
  for (int i = 0; i < 8; ++i) test::write_file(src / fmt::format("f{}", i), test::random_bytes(3000 + i, i));
  test::write_file(src / "secret", "not for us");
  ASSERT_EQ(::chmod((src / "secret").c_str(), 0), 0);
  const FilePermissionsApply permissions;
  const int fd = ::open((src / "secret").c_str(), O_RDONLY);
  if (fd >= 0) ::close(fd);
  ASSERT_LT(fd, 0) << "the test cannot make a file unreadable";
  test::expect_error([&] { upload(src, "a-label"); }, ErrorKind::PermissionDenied, {"secret"});
  EXPECT_EQ(count_objects(meta_, "bundles/"), 0u);
  EXPECT_EQ(count_objects(vmeta_, "labels/"), 0u);
  test::expect_error([&] { catalog_.latest_bundle("repo"); }, ErrorKind::NotFound);
}

TEST_F(LocalContext, FailureMidUploadLeavesNoDescriptorOrLabel) {
  const auto src = dir_ / "src";
  test::write_file(src / "a", "a");
  test::write_file(src / "b", "b");
  auto files = transfer::scan_tree(src);
  files[1].path = dir_ / "vanished";  // the file disappears between scan and read
  transfer::UploadOptions o;
  o.repo = "repo";
  o.message = "a message";
  o.label = "a-label";
  o.show_progress = false;
  test::expect_error([&] { transfer::upload_bundle(files, catalog_, blobs_, o); }, ErrorKind::NotFound, {"vanished"});
  EXPECT_EQ(count_objects(meta_, "bundles/"), 0u);
  EXPECT_EQ(count_objects(vmeta_, "labels/"), 0u);
}

TEST_F(LocalContext, SymlinksAndSpecialFiles) {
  const auto src = dir_ / "src";
  test::write_file(src / "real", "real");
  fs::create_symlink(src / "real", src / "link");
  const auto id = upload(src);
  EXPECT_EQ(test::read_file(download(id, "out") / "link"), "real");
  fs::create_directories(dir_ / "d");
  fs::create_directory_symlink(dir_ / "d", src / "dirlink");
  test::expect_error([&] { upload(src); }, ErrorKind::InvalidArgument, {"dirlink"});
  fs::remove(src / "dirlink");
  ASSERT_EQ(::mkfifo((src / "fifo").c_str(), 0600), 0);
  EXPECT_THROW(upload(src), Error);
}

TEST_F(LocalContext, EntryNamesThatEscapeAreRejectedBeforeWriting) {
  const auto src = dir_ / "src";
  test::write_file(src / "x", "x");
  const auto good = upload(src);
  auto b = catalog_.get_bundle("repo", good);
  auto entries = catalog_.get_entries("repo", b);
  for (const std::string& bad :
       std::vector<std::string>{"../escape", "a/../../escape", "a/./b", std::string("nul\0byte", 8), "", "a//b"}) {
    auto e = entries;
    e.push_back(e[0]);
    e.back().name = bad;
    transfer::DownloadOptions o;
    o.show_progress = false;
    const auto dest = dir_ / "dest";
    EXPECT_THROW(transfer::download_bundle(b, e, blobs_, dest, o), Error) << bad;
    EXPECT_FALSE(fs::exists(dest / "x"));
    EXPECT_FALSE(fs::exists(dir_ / "escape"));
  }
  // A leading '/' (the Go mutable mount) is stripped, not rejected.
  auto e = entries;
  e[0].name = "/x";
  transfer::DownloadOptions o;
  o.show_progress = false;
  transfer::download_bundle(b, e, blobs_, dir_ / "slash", o);
  EXPECT_EQ(test::read_file(dir_ / "slash" / "x"), "x");
}

TEST_F(LocalContext, DownloadOfCorruptOrMissingBlobFailsWithoutTornFile) {
  const auto src = dir_ / "src";
  test::write_file(src / "big", test::random_bytes(3 * 1024 * 1024, 8));
  const auto id = upload(src);
  const auto b = catalog_.get_bundle("repo", id);
  const auto entries = catalog_.get_entries("repo", b);
  std::vector<std::string> leaves;
  blobs_.list("", "", [&](const store::ListEntry& e) {
    if (e.name != entries[0].hash) leaves.push_back(e.name);
  });
  ASSERT_EQ(leaves.size(), 2u);
  auto data = blobs_.get(leaves[0]);
  data[0] ^= 0x40;
  blobs_.put(leaves[0], data, store::PutMode::Overwrite);
  transfer::DownloadOptions o;
  o.show_progress = false;
  test::expect_error([&] { transfer::download_bundle(b, entries, blobs_, dir_ / "out", o); }, ErrorKind::Corrupt,
                     {leaves[0]});
  EXPECT_FALSE(fs::exists(dir_ / "out" / "big"));
  size_t leftovers = 0;
  for (auto& p : fs::directory_iterator(dir_ / "out")) leftovers += p.path().filename() != ".datamon";
  EXPECT_EQ(leftovers, 0u);
  blobs_.remove(leaves[0]);
  test::expect_error([&] { transfer::download_bundle(b, entries, blobs_, dir_ / "out2", o); }, ErrorKind::NotFound,
                     {leaves[0]});
}

TEST_F(LocalContext, UnknownRepoLabelAndBundleAreNamed) {
  auto expect_named = [](const std::function<void()>& fn, const std::string& name) {
    SCOPED_TRACE(name);
    test::expect_error(fn, ErrorKind::NotFound, {"'" + name + "'"});
  };
  expect_named([&] { catalog_.resolve_bundle("nope", "", ""); }, "nope");
  expect_named([&] { catalog_.resolve_bundle("repo", "", "nolabel"); }, "nolabel");
  expect_named([&] { catalog_.get_bundle("repo", "nobundle"); }, "nobundle");
  expect_named([&] { catalog_.latest_bundle("repo"); }, "repo");
  model::LabelDescriptor l;
  l.name = "x";
  l.id = "missingbundle";
  expect_named([&] { catalog_.set_label("repo", l); }, "missingbundle");
}

TEST_F(LocalContext, GoLayoutBundleWithOddIndexSizesAndModeZeroDownloads) {
  // Written object by object as the Go datamon lays it out: mode 0, index files of other than
  // 1000 entries (repo delete files), entries in completion order, no parents.
  const auto src = dir_ / "src";
  test::write_file(src / "b", "bee");
  test::write_file(src / "a", test::random_bytes(2 * 1024 * 1024 + 5, 2));
  const auto ours = upload(src);
  auto entries = catalog_.get_entries("repo", catalog_.get_bundle("repo", ours));
  for (auto& e : entries) e.mode = 0;
  const std::string id = "2KSvihgIbavOzCvi6O28icARnsG";
  meta_.put(model::index_path("repo", id, 0), model::to_yaml(std::vector<model::BundleEntry>{entries[1]}),
            store::PutMode::NoOverwrite);
  meta_.put(model::index_path("repo", id, 1), model::to_yaml(std::vector<model::BundleEntry>{entries[0]}),
            store::PutMode::NoOverwrite);
  meta_.put(
      model::bundle_path("repo", id),
      "leafSize: 2097152\nid: 2KSvihgIbavOzCvi6O28icARnsG\nmessage: go\ntimestamp: 2023-01-17T18:42:07.123456789Z\n"
      "contributors:\n- name: Jane\n  email: j@x\ncount: 2\nversion: 2\ndeduplication: blake\n",
      store::PutMode::NoOverwrite);
  const auto out = download(id, "out");
  EXPECT_EQ(test::tree_contents(out, {".datamon"}), test::tree_contents(src));
}

}  // namespace
}  // namespace dm

namespace dm {
namespace {

// Records the order of blob puts, flushes and metadata puts across two stores.
class OrderLog {
 public:
  void add(std::string e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> events_;
};

class RecordingStore final : public store::Store {
 public:
  RecordingStore(store::Store& inner, OrderLog& log, std::string tag)
      : inner_(inner), log_(log), tag_(std::move(tag)) {}
  std::string describe() const override { return inner_.describe(); }
  std::string get(std::string_view n) override { return inner_.get(n); }
  std::string get_range(std::string_view n, uint64_t o, uint64_t l) override { return inner_.get_range(n, o, l); }
  std::optional<store::ObjectInfo> stat(std::string_view n) override { return inner_.stat(n); }
  void put(std::string_view n, std::string_view d, store::PutMode m) override {
    log_.add(tag_ + " put " + std::string(n));
    inner_.put(n, d, m);
  }
  void list(std::string_view p, std::string_view d, const std::function<void(const store::ListEntry&)>& f) override {
    inner_.list(p, d, f);
  }
  void remove(std::string_view n) override { inner_.remove(n); }
  void flush() override {
    log_.add(tag_ + " flush");
    inner_.flush();
  }

 private:
  store::Store& inner_;
  OrderLog& log_;
  std::string tag_;
};

TEST(UploadOrder, BlobsAreFlushedBeforeTheIndexThenDescriptorThenLabel) {
  test::TempDir dir;
  store::LocalStore meta(dir / "meta"), vmeta(dir / "vmeta"), blobs(dir / "blob", true, true);
  OrderLog log;
  RecordingStore rmeta(meta, log, "meta"), rvmeta(vmeta, log, "vmeta"), rblobs(blobs, log, "blob");
  model::Catalog catalog(rmeta, rvmeta);
  model::RepoDescriptor r;
  r.name = "repo";
  r.description = "a description";
  catalog.create_repo(r);
  test::write_file(dir / "src" / "a", test::random_bytes(3 * 1024 * 1024, 1));
  test::write_file(dir / "src" / "b", "b");
  transfer::UploadOptions o;
  o.repo = "repo";
  o.message = "a message";
  o.label = "a-label";
  o.show_progress = false;
  transfer::upload_bundle(transfer::scan_tree(dir / "src"), catalog, rblobs, o);
  const auto events = log.events();
  auto first = [&](const std::string& needle) {
    return std::find_if(events.begin(), events.end(), [&](auto& e) { return e.find(needle) != std::string::npos; }) -
           events.begin();
  };
  auto last_blob_put =
      std::find_if(events.rbegin(), events.rend(), [](auto& e) { return e.rfind("blob put", 0) == 0; });
  ASSERT_NE(last_blob_put, events.rend());
  const auto last_blob = events.rend() - last_blob_put - 1;
  EXPECT_LT(last_blob, first("blob flush"));
  EXPECT_LT(first("blob flush"), first("bundle-files-0.yaml"));
  EXPECT_LT(first("bundle-files-0.yaml"), first("bundle.yaml"));
  EXPECT_LT(first("bundle.yaml"), first("label.yaml"));
}

}  // namespace
}  // namespace dm
