// Value: what a Go text/template sees as data, modelled on the Go types datamon prints.
//
// Go's fmt prints a struct as "{a b}", a slice as "[a b]", a map as "map[k:v]" with sorted
// keys and a type with a String() method (time.Time, os.FileMode) through that method, so a
// JSON tree cannot stand in for Go values: structs keep their Go field names, declaration order
// and JSON keys. Values are immutable once built and cheap enough to copy for CLI output.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dm::tmpl {

struct Field;

class Value {
 public:
  enum class Kind { Nil, Bool, Int, Uint, Float, String, List, Map, Struct, Stringer };

  Value();  // nil, as an empty interface{}
  static Value boolean(bool v);
  static Value integer(int64_t v);
  static Value unsigned_integer(uint64_t v);
  static Value floating(double v);
  static Value string(std::string v);
  // `type` is the Go type for %#v ("[]string"), empty for []interface {}.
  static Value list(std::vector<Value> items, std::string type = "");
  // A map[string]T: entries are sorted by key here, as Go's fmt and range see them.
  static Value map(std::vector<std::pair<std::string, Value>> entries);
  // A struct: Go type name ("model.Contributor") and its exported fields in declaration order.
  static Value structure(std::string type, std::vector<Field> fields);
  // A value with a String() method: `text` is what String() returns; `underlying` is what other
  // verbs (%d, %#v) and encoding/json see; `methods` are its zero-argument methods a template
  // may call (.IsZero, .Unix); `go_syntax` is its GoString() for %#v when it has one.
  static Value stringer(std::string type, std::string text, Value underlying, std::vector<Field> methods,
                        std::string go_syntax = "");
  // The same without methods. (No `= {}` default above: Field is incomplete here, and clang
  // instantiates std::vector<Field> for a default argument at its declaration.)
  static Value stringer(std::string type, std::string text, Value underlying);

  Kind kind() const { return kind_; }
  bool as_bool() const { return bool_; }
  int64_t as_int() const { return int_; }
  uint64_t as_uint() const { return uint_; }
  double as_float() const { return float_; }
  // The string of a String, the String() text of a Stringer.
  const std::string& as_string() const { return text_; }
  const std::string& type() const { return type_; }
  // The Go type as Go's messages spell it ("uint64", "[]interface {}", "model.BundleDescriptor");
  // "interface {}" for nil.
  std::string go_type() const;
  const std::string& go_syntax() const { return go_syntax_; }
  const std::vector<Value>& items() const;   // List
  const std::vector<Field>& fields() const;  // Struct fields, Map entries, Stringer methods
  const Value& underlying() const;           // Stringer
  // A struct field or Stringer method by Go name, or a map entry by key; nullptr if absent.
  const Value* member(std::string_view name) const;
  // Go's truth for if/with/and/or: false, 0, nil and empty strings, lists and maps are false.
  bool truthy() const;

 private:
  Kind kind_ = Kind::Nil;
  bool bool_ = false;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double float_ = 0;
  std::string text_;
  std::string type_;
  std::string go_syntax_;
  std::shared_ptr<const std::vector<Value>> items_;
  std::shared_ptr<const std::vector<Field>> fields_;
  std::shared_ptr<const Value> underlying_;
};

struct Field {
  Field(std::string name_, Value value_, std::string json_key_ = "", bool omit_empty_ = false)
      : name(std::move(name_)), value(std::move(value_)), json_key(std::move(json_key_)), omit_empty(omit_empty_) {}
  std::string name;  // Go field name ("BundleID"), or map key
  Value value;
  std::string json_key;  // encoding/json key from the struct tag; empty means `name`
  bool omit_empty = false;
};

}  // namespace dm::tmpl
