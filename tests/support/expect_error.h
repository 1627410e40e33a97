// expect_error: the one way a test checks that a call fails with a dm::Error of a given kind
// whose message names the things at fault (and leaks no secret), instead of a hand-written
// try/catch in each suite.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/util/error.h"

namespace dm::test {

// Runs `fn`; records a test failure unless it throws a dm::Error of `kind` whose message contains
// every one of `needles`. Returns the message (empty when nothing was thrown).
inline std::string expect_error(const std::function<void()>& fn, ErrorKind kind,
                                const std::vector<std::string>& needles = {}) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.kind(), kind) << to_string(e.kind()) << " where " << to_string(kind) << " was expected: " << message;
    for (const auto& needle : needles) {
      EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' is not in: " << message;
    }
    return message;
  }
  ADD_FAILURE() << "no error where " << to_string(kind) << " was expected";
  return {};
}

// Runs `fn`; the message of the dm::Error it throws, whatever its kind, for a check of the message
// alone. Records a test failure unless it throws one (then returns "").
inline std::string error_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error where one was expected";
  return {};
}

// Records a test failure for each of `secrets` that `message` (an error's, as returned above)
// contains: an error names the thing at fault, never a password, key or token.
inline void expect_not_in(const std::string& message, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    EXPECT_EQ(message.find(secret), std::string::npos) << "'" << secret << "' is in: " << message;
  }
}

}  // namespace dm::test
