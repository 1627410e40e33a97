#include "common/template/value.h"

#include <algorithm>

namespace dm::tmpl {

namespace {

const std::vector<Value>& no_items() {
  static const std::vector<Value> empty;
  return empty;
}

const std::vector<Field>& no_fields() {
  static const std::vector<Field> empty;
  return empty;
}

}  // namespace

Value::Value() = default;

Value Value::boolean(bool v) {
  Value out;
  out.kind_ = Kind::Bool;
  out.bool_ = v;
  return out;
}

Value Value::integer(int64_t v) {
  Value out;
  out.kind_ = Kind::Int;
  out.int_ = v;
  return out;
}

Value Value::unsigned_integer(uint64_t v) {
  Value out;
  out.kind_ = Kind::Uint;
  out.uint_ = v;
  return out;
}

Value Value::floating(double v) {
  Value out;
  out.kind_ = Kind::Float;
  out.float_ = v;
  return out;
}

Value Value::string(std::string v) {
  Value out;
  out.kind_ = Kind::String;
  out.text_ = std::move(v);
  return out;
}

Value Value::list(std::vector<Value> items, std::string type) {
  Value out;
  out.kind_ = Kind::List;
  out.type_ = std::move(type);
  out.items_ = std::make_shared<const std::vector<Value>>(std::move(items));
  return out;
}

Value Value::map(std::vector<std::pair<std::string, Value>> entries) {
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Field> fields;
  fields.reserve(entries.size());
  for (auto& [key, value] : entries) fields.push_back(Field{key, std::move(value), key, false});
  Value out;
  out.kind_ = Kind::Map;
  out.fields_ = std::make_shared<const std::vector<Field>>(std::move(fields));
  return out;
}

Value Value::structure(std::string type, std::vector<Field> fields) {
  Value out;
  out.kind_ = Kind::Struct;
  out.type_ = std::move(type);
  out.fields_ = std::make_shared<const std::vector<Field>>(std::move(fields));
  return out;
}

std::string Value::go_type() const {
  switch (kind_) {
    case Kind::Nil:
      return "interface {}";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Uint:
      return "uint64";
    case Kind::Float:
      return "float64";
    case Kind::String:
      return "string";
    case Kind::List:
      return type_.empty() ? "[]interface {}" : type_;
    case Kind::Map:
      return "map[string]interface {}";
    case Kind::Struct:
    case Kind::Stringer:
      return type_;
  }
  return type_;
}

Value Value::stringer(std::string type, std::string text, Value underlying) {
  return stringer(std::move(type), std::move(text), std::move(underlying), std::vector<Field>{});
}

Value Value::stringer(std::string type, std::string text, Value underlying, std::vector<Field> methods,
                      std::string go_syntax) {
  Value out;
  out.kind_ = Kind::Stringer;
  out.type_ = std::move(type);
  out.text_ = std::move(text);
  out.go_syntax_ = std::move(go_syntax);
  out.underlying_ = std::make_shared<const Value>(std::move(underlying));
  out.fields_ = std::make_shared<const std::vector<Field>>(std::move(methods));
  return out;
}

const std::vector<Value>& Value::items() const {
  return items_ ? *items_ : no_items();
}

const std::vector<Field>& Value::fields() const {
  return fields_ ? *fields_ : no_fields();
}

const Value& Value::underlying() const {
  static const Value nil;
  return underlying_ ? *underlying_ : nil;
}

const Value* Value::member(std::string_view name) const {
  for (const auto& f : fields()) {
    if (f.name == name && name != "_") return &f.value;
  }
  return nullptr;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Nil:
      return false;
    case Kind::Bool:
      return bool_;
    case Kind::Int:
      return int_ != 0;
    case Kind::Uint:
      return uint_ != 0;
    case Kind::Float:
      return float_ != 0;
    case Kind::String:
      return !text_.empty();
    case Kind::List:
      return !items().empty();
    case Kind::Map:
      return !fields().empty();
    case Kind::Struct:
      return true;
    case Kind::Stringer:
      return underlying().kind() == Kind::Struct || underlying().truthy();
  }
  return false;
}

}  // namespace dm::tmpl
