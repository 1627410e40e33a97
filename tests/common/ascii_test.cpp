// ascii_lower folds A-Z only: bytes of UTF-8 and every other byte pass through, whatever the locale.
#include "common/util/ascii.h"

#include <gtest/gtest.h>

namespace dm {
namespace {

TEST(AsciiLower, FoldsAToZAndNothingElse) {
  EXPECT_EQ(ascii_lower("Content-Type"), "content-type");
  EXPECT_EQ(ascii_lower("HTTPS://Bucket"), "https://bucket");
  EXPECT_EQ(ascii_lower("@[`{ 09_-"), "@[`{ 09_-");                            // the neighbours of A-Z and a-z
  EXPECT_EQ(ascii_lower("\xC3\x84rger \xC3\x96L"), "\xC3\x84rger \xC3\x96l");  // "Ärger ÖL": only the L folds
  EXPECT_EQ(ascii_lower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
  EXPECT_EQ(ascii_lower(""), "");
}

}  // namespace
}  // namespace dm
