// The mount's option string: a repo name is one value, never an option of its own.
#include <gtest/gtest.h>

#include "fusefs/fuse_server.h"

namespace dm::fusefs {
namespace {

TEST(FuseOptions, CommasAndBackslashesInTheFsnameAreEscaped) {
  EXPECT_EQ(fuse_option_value("repo-1"), "repo-1");
  EXPECT_EQ(fuse_option_value("x,allow_other"), "x\\,allow_other");
  EXPECT_EQ(fuse_option_value("a\\,b"), "a\\\\\\,b");
}

}  // namespace
}  // namespace dm::fusefs
