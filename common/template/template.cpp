// Executing a parsed Template: Go text/template's exec.go semantics over Values.
#include "common/template/template.h"

#include <algorithm>

#include "common/template/go_fmt.h"
#include "common/template/template_tree.h"
#include "common/util/error.h"

namespace dm::tmpl {

namespace {

// An execution error before the template and position are known.
struct ExecFailure {
  std::string message;
};

[[noreturn]] void exec_fail(std::string message) {
  throw ExecFailure{std::move(message)};
}

// The basic value a comparison sees: a Stringer of a basic type compares as that type.
const Value& basic(const Value& v) {
  if (v.kind() == Value::Kind::Stringer && v.underlying().kind() != Value::Kind::Struct) return v.underlying();
  return v;
}

bool is_integer(const Value& v) {
  return v.kind() == Value::Kind::Int || v.kind() == Value::Kind::Uint;
}

// -1, 0, 1 as Go's lt/eq would find; `ordered` asks for lt-style checks (no bools).
int compare(const Value& a0, const Value& b0, bool ordered) {
  const Value& a = basic(a0);
  const Value& b = basic(b0);
  auto check_kind = [&](const Value& v) {
    switch (v.kind()) {
      case Value::Kind::Bool:
        if (ordered) exec_fail("invalid type for comparison");
        return;
      case Value::Kind::Int:
      case Value::Kind::Uint:
      case Value::Kind::Float:
      case Value::Kind::String:
        return;
      case Value::Kind::Nil:
        exec_fail("invalid type for comparison");
      default:
        exec_fail(ordered ? "invalid type for comparison" : "non-comparable type " + v.go_type());
    }
  };
  check_kind(a);
  check_kind(b);
  if (is_integer(a) && is_integer(b)) {
    if (a.kind() == Value::Kind::Int && b.kind() == Value::Kind::Uint) {
      if (a.as_int() < 0) return -1;
      const auto ua = static_cast<uint64_t>(a.as_int());
      return ua < b.as_uint() ? -1 : ua > b.as_uint() ? 1 : 0;
    }
    if (a.kind() == Value::Kind::Uint && b.kind() == Value::Kind::Int) return -compare(b, a, ordered);
    if (a.kind() == Value::Kind::Int) return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    return a.as_uint() < b.as_uint() ? -1 : a.as_uint() > b.as_uint() ? 1 : 0;
  }
  if (a.kind() != b.kind()) exec_fail("incompatible types for comparison");
  switch (a.kind()) {
    case Value::Kind::Bool:
      return a.as_bool() == b.as_bool() ? 0 : 1;
    case Value::Kind::Float:
      return a.as_float() < b.as_float() ? -1 : a.as_float() > b.as_float() ? 1 : 0;
    default:
      return a.as_string().compare(b.as_string()) < 0 ? -1 : a.as_string() == b.as_string() ? 0 : 1;
  }
}

int64_t index_of(const Value& v) {
  const Value& b = basic(v);
  if (b.kind() == Value::Kind::Int) return b.as_int();
  if (b.kind() == Value::Kind::Uint) return static_cast<int64_t>(std::min<uint64_t>(b.as_uint(), INT64_MAX));
  if (b.kind() == Value::Kind::Nil) exec_fail("cannot index slice/array with nil");
  exec_fail("cannot index slice/array with type " + v.go_type());
}

enum class Flow { Normal, Break, Continue };

class Executor {
 public:
  Executor(const TemplateTree& tree, const Value& root) : tree_(tree) { vars_.emplace_back("$", root); }

  std::string run(const Value& dot) {
    walk(dot, tree_.root);
    return std::move(out_);
  }

 private:
  [[noreturn]] void fail_at(size_t pos, const std::string& node, const std::string& message) const {
    const std::string text = tree_.source.substr(0, pos);
    const auto nl = text.rfind('\n');
    const size_t col = nl == std::string::npos ? pos : pos - (nl + 1);
    const size_t line = 1 + std::count(text.begin(), text.end(), '\n');
    throw Error(ErrorKind::InvalidArgument, "template: " + tree_.name + ":" + std::to_string(line) + ":" +
                                                std::to_string(col) + ": executing \"" + tree_.name + "\" at <" + node +
                                                ">: " + message);
  }

  Flow walk(const Value& dot, const std::vector<Node>& list) {
    for (const auto& n : list) {
      const Flow f = walk_node(dot, n);
      if (f != Flow::Normal) return f;
    }
    return Flow::Normal;
  }

  Flow walk_node(const Value& dot, const Node& n) {
    switch (n.kind) {
      case Node::Kind::Text:
        out_ += n.text;
        return Flow::Normal;
      case Node::Kind::Action: {
        const Value v = eval_pipeline(dot, n.pipe);
        if (n.pipe.decl.empty()) out_ += v.kind() == Value::Kind::Nil ? "<no value>" : go_sprint({v});
        return Flow::Normal;
      }
      case Node::Kind::Break:
        return Flow::Break;
      case Node::Kind::Continue:
        return Flow::Continue;
      case Node::Kind::If:
      case Node::Kind::With: {
        const size_t mark = vars_.size();
        const Value v = eval_pipeline(dot, n.pipe);
        Flow f;
        if (v.truthy()) {
          f = walk(n.kind == Node::Kind::With ? v : dot, n.list);
        } else {
          f = walk(dot, n.else_list);
        }
        vars_.resize(mark);
        return f;
      }
      case Node::Kind::Range:
        return walk_range(dot, n);
    }
    return Flow::Normal;
  }

  Flow walk_range(const Value& dot, const Node& n) {
    const size_t mark = vars_.size();
    Pipeline pipe = n.pipe;
    const auto decl = pipe.decl;
    pipe.decl.clear();
    const Value v = eval_pipeline(dot, pipe);
    auto one = [&](const Value& key, const Value& elem) {
      vars_.resize(mark);
      if (decl.size() == 1) vars_.emplace_back(decl[0], elem);
      if (decl.size() == 2) {
        vars_.emplace_back(decl[0], key);
        vars_.emplace_back(decl[1], elem);
      }
      return walk(elem, n.list);
    };
    bool any = false;
    const Value& b = basic(v);
    switch (b.kind()) {
      case Value::Kind::List:
        for (size_t i = 0; i < b.items().size(); ++i) {
          any = true;
          if (one(Value::integer(static_cast<int64_t>(i)), b.items()[i]) == Flow::Break) break;
        }
        break;
      case Value::Kind::Map:
        for (const auto& f : b.fields()) {
          any = true;
          if (one(Value::string(f.name), f.value) == Flow::Break) break;
        }
        break;
      case Value::Kind::Int:
      case Value::Kind::Uint: {
        if (decl.size() == 2)
          fail_at(n.pipe.pos, "range", "can't use " + b.go_type() + " to iterate over more than one variable");
        const int64_t count = b.kind() == Value::Kind::Int ? b.as_int() : static_cast<int64_t>(b.as_uint());
        for (int64_t i = 0; i < count; ++i) {
          any = true;
          if (one(Value(), Value::integer(i)) == Flow::Break) break;
        }
        break;
      }
      case Value::Kind::Nil:
        break;
      default:
        fail_at(n.pipe.pos, "range", "range can't iterate over " + go_sprint({v}));
    }
    vars_.resize(mark);
    if (!any) {
      const Flow f = walk(dot, n.else_list);
      vars_.resize(mark);
      return f;
    }
    return Flow::Normal;
  }

  Value eval_pipeline(const Value& dot, const Pipeline& p) {
    Value v;
    bool has_final = false;
    for (const auto& c : p.commands) {
      v = eval_command(dot, c, has_final ? &v : nullptr);
      has_final = true;
    }
    if (p.assign) {
      for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
        if (it->first == p.decl[0]) {
          it->second = v;
          break;
        }
      }
    } else {
      for (const auto& name : p.decl) vars_.emplace_back(name, v);
    }
    return v;
  }

  Value eval_command(const Value& dot, const Command& c, const Value* final) {
    const Operand& first = c.args[0];
    if (first.kind == Operand::Kind::Function) {
      try {
        return call(dot, first.name, c.args, final);
      } catch (const ExecFailure& e) {
        fail_at(first.pos, first.name, e.message);
      }
    }
    if (c.args.size() > 1 || final != nullptr) {
      if (first.kind == Operand::Kind::Field || (first.kind != Operand::Kind::Function && !first.chain.empty()))
        fail_at(first.pos, first.text, first.chain.back() + " has arguments but cannot be invoked as function");
      fail_at(first.pos, first.text, "can't give argument to non-function " + first.text);
    }
    return eval_operand(dot, first);
  }

  Value eval_operand(const Value& dot, const Operand& op) {
    Value base;
    switch (op.kind) {
      case Operand::Kind::Dot:
      case Operand::Kind::Field:
        base = dot;
        break;
      case Operand::Kind::Variable:
        base = variable(op);
        break;
      case Operand::Kind::Constant:
        return op.constant;
      case Operand::Kind::Pipeline: {
        const size_t mark = vars_.size();
        base = eval_pipeline(dot, *op.pipe);
        vars_.resize(mark);
        break;
      }
      case Operand::Kind::Function:
        return call(dot, op.name, {op}, nullptr);
    }
    return walk_chain(base, op);
  }

  Value variable(const Operand& op) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == op.name) return it->second;
    }
    fail_at(op.pos, op.text, "undefined variable: " + op.name);
  }

  Value walk_chain(Value v, const Operand& op) const {
    for (const auto& name : op.chain) {
      switch (v.kind()) {
        case Value::Kind::Struct:
        case Value::Kind::Stringer: {
          const Value* m = v.member(name);
          if (!m) fail_at(op.pos, op.text, "can't evaluate field " + name + " in type " + v.go_type());
          v = *m;
          break;
        }
        case Value::Kind::Map: {
          const Value* m = v.member(name);
          v = m ? *m : Value();
          break;
        }
        case Value::Kind::Nil:
          fail_at(op.pos, op.text, "nil pointer evaluating interface {}." + name);
        default:
          fail_at(op.pos, op.text, "can't evaluate field " + name + " in type " + v.go_type());
      }
    }
    return v;
  }

  // A builtin call; `args[0]` is the function name operand. Errors are ExecFailures.
  Value call(const Value& dot, const std::string& fn, const std::vector<Operand>& args, const Value* final) {
    const size_t n = args.size() - 1 + (final ? 1 : 0);
    auto arg = [&](size_t i) -> Value {
      if (i + 1 < args.size()) {
        try {
          return eval_operand(dot, args[i + 1]);
        } catch (const ExecFailure&) {
          throw;
        }
      }
      return *final;
    };
    auto want = [&](size_t count) {
      if (n != count)
        exec_fail("wrong number of args for " + fn + ": want " + std::to_string(count) + " got " + std::to_string(n));
    };
    auto at_least = [&](size_t count) {
      if (n < count)
        exec_fail("wrong number of args for " + fn + ": want at least " + std::to_string(count) + " got " +
                  std::to_string(n));
    };
    auto all = [&] {
      std::vector<Value> values;
      for (size_t i = 0; i < n; ++i) values.push_back(arg(i));
      return values;
    };
    if (fn == "and" || fn == "or") {
      at_least(1);
      Value v;
      for (size_t i = 0; i < n; ++i) {
        v = arg(i);
        if (v.truthy() == (fn == "or")) return v;
      }
      return v;
    }
    if (fn == "not") {
      want(1);
      return Value::boolean(!arg(0).truthy());
    }
    if (fn == "len") {
      want(1);
      const Value v = arg(0);
      const Value& b = basic(v);
      try {
        if (b.kind() == Value::Kind::String) return Value::integer(static_cast<int64_t>(b.as_string().size()));
        if (b.kind() == Value::Kind::List) return Value::integer(static_cast<int64_t>(b.items().size()));
        if (b.kind() == Value::Kind::Map) return Value::integer(static_cast<int64_t>(b.fields().size()));
        exec_fail("len of type " + v.go_type());
      } catch (const ExecFailure& e) {
        exec_fail("error calling len: " + e.message);
      }
    }
    if (fn == "index") {
      at_least(1);
      const auto values = all();
      Value item = values[0];
      try {
        for (size_t i = 1; i < values.size(); ++i) {
          const Value& b = basic(item);
          if (b.kind() == Value::Kind::List || b.kind() == Value::Kind::String) {
            const int64_t k = index_of(values[i]);
            const size_t size = b.kind() == Value::Kind::List ? b.items().size() : b.as_string().size();
            if (k < 0 || static_cast<size_t>(k) >= size) exec_fail("index out of range: " + std::to_string(k));
            item = b.kind() == Value::Kind::List
                       ? b.items()[k]
                       : Value::unsigned_integer(static_cast<unsigned char>(b.as_string()[k]));
          } else if (b.kind() == Value::Kind::Map) {
            if (basic(values[i]).kind() != Value::Kind::String)
              exec_fail("value has type " + values[i].go_type() + "; should be string");
            const Value* m = b.member(basic(values[i]).as_string());
            item = m ? *m : Value();
          } else if (b.kind() == Value::Kind::Nil) {
            exec_fail("index of untyped nil");
          } else {
            exec_fail("can't index item of type " + item.go_type());
          }
        }
      } catch (const ExecFailure& e) {
        exec_fail("error calling index: " + e.message);
      }
      return item;
    }
    if (fn == "print") return Value::string(go_sprint(all()));
    if (fn == "println") return Value::string(go_sprintln(all()));
    if (fn == "printf") {
      at_least(1);
      auto values = all();
      if (values[0].kind() != Value::Kind::String)
        exec_fail("wrong type for value; expected string; got " + values[0].go_type());
      const std::string format = values[0].as_string();
      values.erase(values.begin());
      return Value::string(go_sprintf(format, values));
    }
    if (fn == "json") {
      want(1);
      return Value::string(go_json(arg(0)));
    }
    // Comparisons
    try {
      if (fn == "eq") {
        at_least(1);
        const Value a = arg(0);
        if (n == 1) exec_fail("missing argument for comparison");
        for (size_t i = 1; i < n; ++i) {
          if (compare(a, arg(i), false) == 0) return Value::boolean(true);
        }
        return Value::boolean(false);
      }
      want(2);
      const Value a = arg(0);
      const Value b = arg(1);
      if (fn == "ne") return Value::boolean(compare(a, b, false) != 0);
      const int c = compare(a, b, true);
      if (fn == "lt") return Value::boolean(c < 0);
      if (fn == "le") return Value::boolean(c <= 0);
      if (fn == "gt") return Value::boolean(c > 0);
      if (fn == "ge") return Value::boolean(c >= 0);
    } catch (const ExecFailure& e) {
      if (e.message.rfind("wrong number", 0) == 0) throw;
      exec_fail("error calling " + fn + ": " + e.message);
    }
    exec_fail("function \"" + fn + "\" not defined");
  }

  const TemplateTree& tree_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

std::string Template::execute(const Value& dot) const {
  Executor exec(*tree_, dot);
  try {
    return exec.run(dot);
  } catch (const ExecFailure& e) {
    throw Error(ErrorKind::InvalidArgument, "template: " + tree_->name + ": " + e.message);
  }
}

}  // namespace dm::tmpl
