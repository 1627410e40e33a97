// A store, a bundle and a destination are untrusted: each test builds a hostile one by hand
// (symlinks and special files in a bucket, a bundle with odd documents, symlinks planted in a
// destination) and checks that the download refuses it, naming the thing at fault, without
// reading or writing outside its folders.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <functional>

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

class HostileStore : public ::testing::Test {
 protected:
  HostileStore() : meta_(dir_ / "meta"), vmeta_(dir_ / "vmeta"), blobs_(dir_ / "blob"), catalog_(meta_, vmeta_) {
    model::RepoDescriptor r;
    r.name = "repo";
    r.description = "d";
    catalog_.create_repo(r);
  }

  // A bundle of the files `src` holds.
  std::string upload(const fs::path& src) {
    transfer::UploadOptions o;
    o.repo = "repo";
    o.message = "m";
    o.contributor = {"t", "t@example.com"};
    o.show_progress = false;
    return transfer::upload_bundle(transfer::scan_tree(src), catalog_, blobs_, o).bundle_id;
  }

  // A one-file bundle ("file" holding `content`) and the path of its only leaf in the bucket.
  // Named members, not a pair: the tests capture them in lambdas, which clang 14 (Debian 12's,
  // the sanitizer builds) refuses for structured bindings.
  struct LeafBundle {
    std::string id;
    fs::path leaf;
  };
  LeafBundle one_leaf_bundle(const std::string& content) {
    test::write_file(dir_ / "src" / "file", content);
    const auto id = upload(dir_ / "src");
    const auto entries = catalog_.get_entries("repo", catalog_.get_bundle("repo", id));
    std::string leaf;
    blobs_.list("", "", [&](const store::ListEntry& e) {
      if (e.name != entries.at(0).hash) leaf = e.name;
    });
    EXPECT_FALSE(leaf.empty());
    return {id, blobs_.root() / leaf};
  }

  void download(const std::string& id, const fs::path& where, bool verify = true, const std::string& filter = "") {
    const auto b = catalog_.get_bundle("repo", id);
    transfer::DownloadOptions o;
    o.show_progress = false;
    o.verify = verify;
    o.name_filter = filter;
    transfer::download_bundle(b, catalog_.get_entries("repo", b), blobs_, where, o);
  }

  test::TempDir dir_;
  store::LocalStore meta_, vmeta_, blobs_;
  model::Catalog catalog_;
};

// --- the local store: objects are regular files -------------------------------------------

TEST_F(HostileStore, LeafThatIsASymlinkOutsideTheStoreIsNotRead) {
  const auto bundle = one_leaf_bundle("secret-shaped content");
  const auto& id = bundle.id;
  const auto& leaf = bundle.leaf;
  // The link points at a file with the right bytes: only the kind of file can tell.
  test::write_file(dir_ / "outside", test::read_file(leaf));
  fs::remove(leaf);
  fs::create_symlink(dir_ / "outside", leaf);
  for (const bool verify : {true, false}) {
    const auto err = test::error_message([&] { download(id, dir_ / fmt::format("out{}", verify), verify); });
    EXPECT_NE(err.find(leaf.filename().string() + " is not a regular file"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(dir_ / fmt::format("out{}", verify) / "file"));
  }
}

TEST_F(HostileStore, LeafThatIsAFifoOrADeviceFailsInsteadOfHanging) {
  const auto bundle = one_leaf_bundle("content");
  const auto& id = bundle.id;
  const auto& leaf = bundle.leaf;
  fs::remove(leaf);
  ASSERT_EQ(::mkfifo(leaf.c_str(), 0644), 0);
  auto err = test::error_message([&] { download(id, dir_ / "out-fifo"); });
  EXPECT_NE(err.find(leaf.filename().string() + " is not a regular file"), std::string::npos) << err;
  fs::remove(leaf);
  ASSERT_EQ(::mknod(leaf.c_str(), S_IFCHR | 0644, makedev(1, 5)), 0);  // /dev/zero's numbers
  err = test::error_message([&] { download(id, dir_ / "out-dev", false); });
  EXPECT_NE(err.find(leaf.filename().string() + " is not a regular file"), std::string::npos) << err;
}

TEST_F(HostileStore, LeafLongerThanTheLeafSizeIsRefusedBeforeItIsRead) {
  const auto bundle = one_leaf_bundle("content");
  const auto& id = bundle.id;
  const auto& leaf = bundle.leaf;
  // A sparse file far longer than any leaf: reading it whole would exhaust memory.
  ASSERT_EQ(::truncate(leaf.c_str(), off_t{64} << 30), 0);
  const auto err = test::error_message([&] { download(id, dir_ / "out", false); });
  EXPECT_NE(err.find("is larger than"), std::string::npos) << err;
}

TEST_F(HostileStore, BundleDescriptorThatIsASymlinkIsNotRead) {
  const auto id = one_leaf_bundle("content").id;
  const auto descriptor = meta_.root() / model::bundle_path("repo", id);
  test::write_file(dir_ / "outside.yaml", test::read_file(descriptor));
  fs::remove(descriptor);
  fs::create_symlink(dir_ / "outside.yaml", descriptor);
  const auto err = test::error_message([&] { catalog_.get_bundle("repo", id); });
  EXPECT_NE(err.find("bundle.yaml is not a regular file"), std::string::npos) << err;
}

// --- the destination: symlinks found there are never followed ------------------------------

TEST_F(HostileStore, ForceDestDoesNotWriteThroughAFolderSymlink) {
  test::write_file(dir_ / "src" / "sub" / "file", "bundle data");
  const auto id = upload(dir_ / "src");
  fs::create_directories(dir_ / "outside");
  fs::create_directories(dir_ / "dest");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "dest" / "sub");
  const auto err = test::error_message([&] { download(id, dir_ / "dest"); });
  EXPECT_NE(err.find("dest/sub' is a symlink; refusing to follow it"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "outside" / "file"));
}

TEST_F(HostileStore, FilesAndSymlinksAtTheFinalNamesAreReplacedNeverFollowed) {
  test::write_file(dir_ / "src" / "link", "bundle data 1");
  test::write_file(dir_ / "src" / "sub" / "file", "bundle data 2");
  test::write_file(dir_ / "src" / "new", "bundle data 3");
  const auto id = upload(dir_ / "src");
  test::write_file(dir_ / "outside" / "precious", "not the download's");
  test::write_file(dir_ / "dest" / "sub" / "file", "an older, longer local file");
  fs::create_symlink(dir_ / "outside" / "precious", dir_ / "dest" / "link");
  download(id, dir_ / "dest");
  EXPECT_FALSE(fs::is_symlink(dir_ / "dest" / "link"));
  EXPECT_EQ(test::read_file(dir_ / "dest" / "link"), "bundle data 1");
  EXPECT_EQ(test::read_file(dir_ / "dest" / "sub" / "file"), "bundle data 2");
  EXPECT_EQ(test::read_file(dir_ / "dest" / "new"), "bundle data 3");
  EXPECT_EQ(test::read_file(dir_ / "outside" / "precious"), "not the download's");
  // Nothing is left beside them: no temporary, named or not, and no .datamon/tmp.
  std::vector<std::string> names;
  for (const auto& p : fs::recursive_directory_iterator(dir_ / "dest"))
    names.push_back(fs::relative(p.path(), dir_ / "dest").string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{".datamon", ".datamon/" + id + ".yaml", "link", "new", "sub", "sub/file"}));
}

TEST_F(HostileStore, ADotDatamonSymlinkIsNotFollowedNorItsTmpDeleted) {
  test::write_file(dir_ / "src" / "file", "bundle data");
  const auto id = upload(dir_ / "src");
  test::write_file(dir_ / "outside" / "tmp" / "precious", "not the download's");
  fs::create_directories(dir_ / "dest");
  fs::create_directory_symlink(dir_ / "outside", dir_ / "dest" / ".datamon");
  const auto err = test::error_message([&] { download(id, dir_ / "dest"); });
  EXPECT_NE(err.find("dest/.datamon' is a symlink; refusing to follow it"), std::string::npos) << err;
  EXPECT_EQ(test::read_file(dir_ / "outside" / "tmp" / "precious"), "not the download's");
  EXPECT_FALSE(fs::exists(dir_ / "outside" / (id + ".yaml")));
}

// --- the bundle: its documents -------------------------------------------------------------

TEST_F(HostileStore, TwoEntriesWithTheSameNameAreRefusedNamingBoth) {
  test::write_file(dir_ / "src" / "a", "one");
  test::write_file(dir_ / "src" / "b", "two");
  const auto id = upload(dir_ / "src");
  const auto b = catalog_.get_bundle("repo", id);
  auto entries = catalog_.get_entries("repo", b);
  ASSERT_EQ(entries.size(), 2u);
  entries[1].name = "/a";  // the same file once the leading '/' is stripped
  meta_.put(model::index_path("repo", id, 0), model::to_yaml(entries), store::PutMode::Overwrite);
  const auto err = test::error_message([&] { download(id, dir_ / "out"); });
  EXPECT_NE(err.find("two entries for 'a': 'a' and '/a'"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "a"));
}

TEST_F(HostileStore, BundleIdIsCheckedAgainstTheKeyItWasReadFrom) {
  test::write_file(dir_ / "src" / "file", "bundle data");
  const auto id = upload(dir_ / "src");
  auto b = catalog_.get_bundle("repo", id);
  b.id = "../../escape";  // would name the .datamon copy dest/.datamon/../../escape.yaml
  meta_.put(model::bundle_path("repo", id), model::to_yaml(b), store::PutMode::Overwrite);
  const auto err = test::error_message([&] { download(id, dir_ / "out"); });
  EXPECT_NE(err.find(model::bundle_path("repo", id) + " names id '../../escape'"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "escape.yaml"));
}

TEST_F(HostileStore, LabelNamingAnInvalidBundleIdIsRefused) {
  test::write_file(dir_ / "src" / "file", "bundle data");
  upload(dir_ / "src");
  model::LabelDescriptor l;
  l.name = "v1";
  l.id = "../../x";
  vmeta_.put(model::label_path("repo", "v1"), model::to_yaml(l), store::PutMode::Overwrite);
  const auto err = test::error_message([&] { catalog_.resolve_bundle("repo", "", "v1"); });
  EXPECT_NE(err.find("names bundle '../../x'"), std::string::npos) << err;
}

TEST_F(HostileStore, HugeIndexCountSizesNothing) {
  test::write_file(dir_ / "src" / "file", "bundle data");
  const auto id = upload(dir_ / "src");
  auto b = catalog_.get_bundle("repo", id);
  b.count = 1000000000000ULL;  // 10^12 index files: sizing anything by it exhausts memory
  meta_.put(model::bundle_path("repo", id), model::to_yaml(b), store::PutMode::Overwrite);
  const auto read = catalog_.get_bundle("repo", id);
  test::expect_error([&] { catalog_.get_entries("repo", read); }, ErrorKind::NotFound, {"is missing"});
}

TEST_F(HostileStore, RepoNameGoWouldRefuseIsRefusedEvenWhenTheStoreHasIt) {
  // A repo created by hand in the store, named to inject a FUSE option into a mount.
  meta_.put(model::repo_path("x,allow_other"), meta_.get(model::repo_path("repo")), store::PutMode::Overwrite);
  for (const auto& fn : std::vector<std::function<void()>>{[&] { catalog_.require_repo("x,allow_other"); },
                                                           [&] { catalog_.resolve_bundle("x,allow_other", "", ""); },
                                                           [&] { catalog_.get_repo("x,allow_other"); }}) {
    const auto err = test::error_message(fn);
    EXPECT_NE(err.find("repo name 'x,allow_other' is invalid"), std::string::npos) << err;
  }
}

TEST_F(HostileStore, NameFilterIsGoSyntaxAndSurvivesAVeryLongEntryName) {
  test::write_file(dir_ / "src" / "Keep.txt", "kept");
  test::write_file(dir_ / "src" / "other", "dropped");
  const auto id = upload(dir_ / "src");
  download(id, dir_ / "insensitive", true, "(?i)^keep");  // Go's regexp syntax
  EXPECT_EQ(test::read_file(dir_ / "insensitive" / "Keep.txt"), "kept");
  EXPECT_FALSE(fs::exists(dir_ / "insensitive" / "other"));

  const auto b = catalog_.get_bundle("repo", id);
  auto entries = catalog_.get_entries("repo", b);
  ASSERT_EQ(entries.size(), 2u);
  std::string long_name;  // 1 MiB of short components: std::regex recursed once per character
  while (long_name.size() < (1 << 20)) long_name += "x/";
  entries[1].name = long_name + "x";
  meta_.put(model::index_path("repo", id, 0), model::to_yaml(entries), store::PutMode::Overwrite);
  download(id, dir_ / "long", true, "^[A-Za-z]*\\.txt$");
  EXPECT_EQ(test::read_file(dir_ / "long" / "Keep.txt"), "kept");
  EXPECT_EQ(test::tree_contents(dir_ / "long", {".datamon"}).size(), 1u);
}

TEST_F(HostileStore, InvalidNameFilterIsNamed) {
  test::write_file(dir_ / "src" / "a", "a");
  const auto id = upload(dir_ / "src");
  const auto err = test::error_message([&] { download(id, dir_ / "out", true, "(unclosed"); });
  EXPECT_NE(err.find("--name-filter '(unclosed' is not a valid regex"), std::string::npos) << err;
}

TEST_F(HostileStore, ANameComponentNoFileSystemTakesIsRefusedBeforeWriting) {
  test::write_file(dir_ / "src" / "a", "one");
  test::write_file(dir_ / "src" / "b", "two");
  const auto id = upload(dir_ / "src");
  const auto b = catalog_.get_bundle("repo", id);
  auto entries = catalog_.get_entries("repo", b);
  entries[1].name = "dir/" + std::string(300, 'n');
  meta_.put(model::index_path("repo", id, 0), model::to_yaml(entries), store::PutMode::Overwrite);
  const auto err = test::error_message([&] { download(id, dir_ / "out"); });
  EXPECT_NE(err.find("with a name component over 255 bytes"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "a"));
}

TEST_F(HostileStore, AFailedDownloadLeavesAMarkerUntilADownloadFinishes) {
  const auto bundle = one_leaf_bundle("content");
  const auto& id = bundle.id;
  const auto& leaf = bundle.leaf;
  const auto good = test::read_file(leaf);
  test::write_file(leaf, "tampered");
  EXPECT_FALSE(test::error_message([&] { download(id, dir_ / "out"); }).empty());
  EXPECT_EQ(test::read_file(dir_ / "out" / ".datamon" / "incomplete"), id + "\n");
  test::write_file(leaf, good);
  download(id, dir_ / "out");
  EXPECT_FALSE(fs::exists(dir_ / "out" / ".datamon" / "incomplete"));
  EXPECT_EQ(test::read_file(dir_ / "out" / "file"), "content");
}

// The same through the CLI, on a file:// context: what a user sees.
class HostileStoreCli : public ::testing::Test {
 protected:
  HostileStoreCli() {
    run_ok({"context", "create", "--blob", "dev-blob", "--meta", "dev-meta", "--vmeta", "dev-vmeta", "--wal", "dev-wal",
            "--read-log", "dev-readlog"});
    run_ok({"repo", "create", "--repo", "repo", "--description", "d"});
  }
  test::RunResult dm(std::vector<std::string> args) {
    args.insert(args.begin(), {"--config", "file://" + (dir_ / "config").string()});
    return test::datamon(args, {"DATAMON_NAME=t", "DATAMON_EMAIL=t@example.com"});
  }
  std::string run_ok(const std::vector<std::string>& args) {
    const auto r = dm(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  std::string upload(const fs::path& src) {
    const auto out = run_ok({"bundle", "upload", "--path", src.string(), "--repo", "repo", "--message", "m"});
    const auto at = out.find("bundle id:");
    return at == std::string::npos ? "" : out.substr(at + 10, 27);
  }
  test::TempDir dir_;
};

TEST_F(HostileStoreCli, IndexCopiesAreByteCopiesAndAnUnfinishedDownloadIsReported) {
  test::write_file(dir_ / "src" / "file", "content");
  const auto id = upload(dir_ / "src");
  // An index file as another writer may lay it out: the copy must keep its bytes.
  const auto index = dir_ / "dev-meta" / model::index_path("repo", id, 0);
  const auto written = test::read_file(index);
  test::write_file(index, "# laid out by hand\n" + written);
  const auto dest = dir_ / "dest";
  fs::create_directories(dest / ".datamon");
  test::write_file(dest / ".datamon" / "incomplete", "an earlier bundle\n");  // a killed run left it
  const auto r =
      dm({"bundle", "download", "--repo", "repo", "--bundle", id, "--destination", dest.string(), "--force-dest"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("did not finish"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(dest / ".datamon" / (id + "-bundle-files-0.yaml")), "# laid out by hand\n" + written);
  EXPECT_FALSE(fs::exists(dest / ".datamon" / "incomplete"));
}

}  // namespace
}  // namespace dm
