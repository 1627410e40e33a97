// The datamon model objects as the Go CLI's templates see them: the Go structs of
// pkg/model (field names, order, JSON keys, the blank `_ struct{}` field that fmt prints as
// "{}"), time.Time printed by its String() method ("2006-01-02 15:04:05.999999999 -0700 MST")
// and os.FileMode by its ("-rw-r--r--"). A missing timestamp is Go's zero time.
#pragma once

#include <optional>
#include <string>

#include "common/model/documents.h"
#include "common/template/value.h"

namespace dm::tmpl {

// time.Time's String(): "2019-03-12 22:10:24.159704 +0000 UTC"; zero time when absent.
std::string go_time_string(const std::optional<model::Timestamp>& t);
Value go_time(const std::optional<model::Timestamp>& t);
// os.FileMode's String(): type letters "dalTLDpSugct?" then rwxrwxrwx.
std::string go_file_mode_string(uint32_t mode);

Value to_value(const model::Contributor& c);
Value to_value(const model::BundleDescriptor& d);
Value to_value(const model::BundleEntry& e);
Value to_value(const model::LabelDescriptor& d);
Value to_value(const model::RepoDescriptor& d);
Value to_value(const model::ContextDescriptor& d);

}  // namespace dm::tmpl
