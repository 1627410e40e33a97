// Go text/template semantics of common/template: each expected string is what Go 1.21's
// text/template and fmt produce for the same template and data (worked out from the Go
// documentation and source: fmt/print.go, fmt/format.go, text/template/exec.go).
#include "common/template/template.h"

#include <gtest/gtest.h>

#include "common/template/go_fmt.h"
#include "common/util/error.h"
#include "support/expect_error.h"

namespace dm::tmpl {
namespace {

std::string run(const std::string& text, const Value& dot = Value()) {
  return Template::parse("t", text).execute(dot);
}

std::string error_of(const std::string& text, const Value& dot = Value()) {
  return test::expect_error([&] { run(text, dot); }, ErrorKind::InvalidArgument);
}

Value contributor(const std::string& name, const std::string& email) {
  return Value::structure("model.Contributor", {{"Name", Value::string(name), "name", false},
                                                {"Email", Value::string(email), "email", false}});
}

Value ints(std::vector<int64_t> v) {
  std::vector<Value> items;
  for (auto i : v) items.push_back(Value::integer(i));
  return Value::list(std::move(items), "[]int");
}

TEST(GoTemplate, FieldsAndText) {
  const auto c = contributor("Ann", "ann@example.com");
  EXPECT_EQ(run("{{.Name}} <{{.Email}}>", c), "Ann <ann@example.com>");
  const auto wrapper = Value::structure("x.W", {{"Contributor", c, "", false}});
  EXPECT_EQ(run("{{.Contributor.Name}}|{{with .Contributor}}{{.Email}}{{end}}", wrapper), "Ann|ann@example.com");
  EXPECT_EQ(run("plain text"), "plain text");
}

TEST(GoTemplate, GoValuePrinting) {
  const auto c = contributor("Ann", "a@b");
  EXPECT_EQ(run("{{.}}", c), "{Ann a@b}");
  EXPECT_EQ(run("{{printf \"%+v\" .}}", c), "{Name:Ann Email:a@b}");
  EXPECT_EQ(run("{{printf \"%#v\" .}}", c), "model.Contributor{Name:\"Ann\", Email:\"a@b\"}");
  const auto list = Value::list({c, contributor("Bo", "c@d")}, "[]model.Contributor");
  EXPECT_EQ(run("{{.}}", list), "[{Ann a@b} {Bo c@d}]");
  const auto m = Value::map({{"b", Value::integer(2)}, {"a", Value::integer(1)}});
  EXPECT_EQ(run("{{.}}", m), "map[a:1 b:2]");
  EXPECT_EQ(run("{{.nope}}", m), "<no value>");
  EXPECT_EQ(run("{{printf \"%v\" nil}}"), "<nil>");
  EXPECT_EQ(run("{{1.5}} {{printf \"%v\" 1e6}} {{printf \"%v\" 123456.0}} {{printf \"%v\" 0.00001}}"),
            "1.5 1e+06 123456 1e-05");
  const auto mode = Value::stringer("fs.FileMode", "-rw-r--r--", Value::unsigned_integer(0644));
  EXPECT_EQ(run("{{.}} {{printf \"%d %s %v %o\" . . . .}}", mode), "-rw-r--r-- 420 -rw-r--r-- -rw-r--r-- 644");
}

TEST(GoTemplate, Printf) {
  EXPECT_EQ(run(R"({{printf "%5d|%-5s|%q|%v" 42 "ab" "a\"b" 1.5}})"), R"(   42|ab   |"a\"b"|1.5)");
  EXPECT_EQ(run(R"({{printf "%05d %+d % d" -42 7 7}})"), "-0042 +7  7");
  EXPECT_EQ(run(R"({{printf "%x %X %o %b %#x %c" 255 255 8 5 255 65}})"), "ff FF 10 101 0xff A");
  EXPECT_EQ(run(R"({{printf "%6.2f|%.3s|%-4d|%t" 3.14159 "abcdef" 7 true}})"), "  3.14|abc|7   |true");
  EXPECT_EQ(run(R"({{printf "%e %g %.3g" 1234.5678 0.000012345 1234.5678}})"), "1.234568e+03 1.2345e-05 1.23e+03");
  EXPECT_EQ(run(R"({{printf "%*d|%-*d|" 4 1 3 2}})"), "   1|2  |");
  EXPECT_EQ(run(R"({{printf "%x" "hi"}} {{printf "%q" "é\x01\n"}} {{printf "%#q" "back"}})"),
            R"(6869 "é\x01\n" `back`)");
  EXPECT_EQ(run(R"({{printf "%d" "x"}})"), "%!d(string=x)");
  EXPECT_EQ(run(R"({{printf "%d %s"  1}})"), "1 %!s(MISSING)");
  EXPECT_EQ(run(R"({{printf "%d" 1 "b"}})"), "1%!(EXTRA string=b)");
  EXPECT_EQ(run(R"({{printf "%s" 5}} {{printf "100%%"}})"), "%!s(int=5) 100%");
  EXPECT_EQ(run(R"({{printf "%10v|%-8v|" . .}})", Value::list({Value::integer(1), Value::integer(2)})),
            "[         1          2]|[1        2       ]|");
}

TEST(GoTemplate, PrintAndPrintln) {
  EXPECT_EQ(run(R"({{print 1 2 "a" 3 "b" "c"}})"), "1 2a3bc");
  EXPECT_EQ(run(R"({{println 1 "a"}})"), "1 a\n");
}

TEST(GoTemplate, RangeIfWith) {
  EXPECT_EQ(run("{{range .}}[{{.}}]{{end}}", ints({1, 2})), "[1][2]");
  EXPECT_EQ(run("{{range .}}x{{else}}empty{{end}}", ints({})), "empty");
  EXPECT_EQ(run("{{range $i, $e := .}}{{$i}}={{$e}} {{end}}", ints({7, 8})), "0=7 1=8 ");
  EXPECT_EQ(run("{{range $e := .}}{{$e}}{{end}}", ints({7, 8})), "78");
  const auto m = Value::map({{"b", Value::integer(2)}, {"a", Value::integer(1)}});
  EXPECT_EQ(run("{{range $k, $v := .}}{{$k}}{{$v}}{{end}}", m), "a1b2");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}"), "012");
  EXPECT_EQ(run("{{range .}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", ints({1, 2, 3})), "1");
  EXPECT_EQ(run("{{range .}}{{if eq . 2}}{{continue}}{{end}}{{.}}{{end}}", ints({1, 2, 3})), "13");
  const std::string chain = "{{if eq . 1}}one{{else if eq . 2}}two{{else}}many{{end}}";
  EXPECT_EQ(run(chain, Value::integer(1)), "one");
  EXPECT_EQ(run(chain, Value::integer(2)), "two");
  EXPECT_EQ(run(chain, Value::integer(5)), "many");
  EXPECT_EQ(run("{{with .nope}}x{{else}}none{{end}}", m), "none");
  EXPECT_EQ(run("{{with $x := .a}}{{$x}}{{.}}{{end}}", m), "11");
  EXPECT_EQ(run("{{if .}}t{{else}}f{{end}}", Value::string("")), "f");
  EXPECT_EQ(run("{{if .}}t{{end}}", contributor("", "")), "t");  // a struct is always true
  EXPECT_EQ(run("{{$.a}}{{range .}}{{$.b}}{{end}}", m), "122");
}

TEST(GoTemplate, VariablesAndPipelines) {
  EXPECT_EQ(run("{{$x := 5}}{{$x}}"), "5");
  EXPECT_EQ(run("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}"), "2");
  const auto c = contributor("Ann", "a@b");
  EXPECT_EQ(run(R"({{.Name | printf "%q"}})", c), R"("Ann")");
  EXPECT_EQ(run(R"({{"x" | printf "%s-%s" "y"}})"), "y-x");
  EXPECT_EQ(run(R"({{(printf "%s!" .Name) | len}})", c), "4");
  EXPECT_EQ(run(R"({{len .}} {{index . 1}} {{len "héllo"}})", ints({4, 5, 6})), "3 5 6");
  EXPECT_EQ(run(R"({{or "" "b"}} {{and 1 0}} {{not 0}} {{or 0 ""}})"), "b 0 true ");
  EXPECT_EQ(run(R"({{eq 3 1 2 3}} {{ne "a" "b"}} {{lt 1 2}} {{ge 2 2}} {{gt "b" "a"}})"), "true true true true true");
}

TEST(GoTemplate, TrimMarkersAndComments) {
  EXPECT_EQ(run("a  \n {{- 1 -}} \n  b"), "a1b");
  EXPECT_EQ(run("a {{- /* note */ -}} b{{/* x */}}c"), "abc");
  EXPECT_EQ(run("{{-3}}"), "-3");  // no space after the dash: a number, not a trim marker
  // The upload template of Go datamon: "{{- if .Label }}" drops the newline before it.
  const std::string upload = "Uploaded bundle id:{{.BundleID}}\n{{- if .Label }}\nset label '{{.Label}}'\n{{- end }}";
  EXPECT_EQ(run(upload, Value::map({{"BundleID", Value::string("X")}, {"Label", Value::string("")}})),
            "Uploaded bundle id:X");
  EXPECT_EQ(run(upload, Value::map({{"BundleID", Value::string("X")}, {"Label", Value::string("v1")}})),
            "Uploaded bundle id:X\nset label 'v1'");
}

TEST(GoTemplate, Json) {
  const auto c = contributor("A<b>&", "a@b");
  EXPECT_EQ(run("{{json .}}", c), R"({"name":"A\u003cb\u003e\u0026","email":"a@b"})");
  const auto s = Value::structure(
      "x.S", {{"Parents", Value::list({}), "parents", true},
              {"Count", Value::unsigned_integer(3), "count", false},
              {"Time", Value::stringer("time.Time", "t", Value::string("2019-01-02T03:04:05Z")), "timestamp", true},
              {"Items", Value::list({Value::string("x")}), "items", false}});
  EXPECT_EQ(run("{{json .}}", s), R"({"count":3,"timestamp":"2019-01-02T03:04:05Z","items":["x"]})");
}

TEST(GoTemplate, ErrorsNameTheTemplateAndPosition) {
  EXPECT_EQ(error_of("{{.Foo}}", contributor("a", "b")),
            "template: t:1:2: executing \"t\" at <.Foo>: can't evaluate field Foo in type model.Contributor");
  EXPECT_EQ(error_of("x\n{{foo}}"), "template: t:2: function \"foo\" not defined");
  EXPECT_EQ(error_of("{{.A"), "template: t:1: unclosed action");
  EXPECT_EQ(error_of("{{if .}}x"), "template: t:1: unexpected EOF");
  EXPECT_EQ(error_of("{{end}}"), "template: t:1: unexpected {{end}}");
  EXPECT_EQ(error_of("{{break}}"), "template: t:1: {{break}} outside {{range}}");
  EXPECT_EQ(error_of("{{$x}}"), "template: t:1: undefined variable \"$x\"");
  EXPECT_EQ(error_of("{{index . 5}}", ints({1})),
            "template: t:1:2: executing \"t\" at <index>: error calling index: index out of range: 5");
  EXPECT_EQ(error_of("{{lt 1 2.5}}"),
            "template: t:1:2: executing \"t\" at <lt>: error calling lt: incompatible types for comparison");
  EXPECT_EQ(error_of("{{not 1 2}}"),
            "template: t:1:2: executing \"t\" at <not>: wrong number of args for not: want 1 got 2");
  EXPECT_EQ(error_of("{{.Name 1}}", contributor("a", "b")),
            "template: t:1:2: executing \"t\" at <.Name>: Name has arguments but cannot be invoked as function");
  const auto range_error = error_of("{{range .}}{{end}}", contributor("a", "b"));
  EXPECT_EQ(range_error.rfind("template: t:1:8: executing \"t\" at <", 0), 0U) << range_error;
  EXPECT_NE(range_error.find(">: range can't iterate over {a b}"), std::string::npos) << range_error;
}

}  // namespace
}  // namespace dm::tmpl
