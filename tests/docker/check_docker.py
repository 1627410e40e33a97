#!/usr/bin/python3
"""Static checks of docker/ (no Docker engine needed), run by tests/docker/check.sh.

Checks that docker/Dockerfile builds from what the repository holds (every COPY source exists
and passes .dockerignore; the builder installs the -dev packages of
scripts/install-deps.sh), that every command an image's entrypoint, health check or shipped
script calls is in that image (a COPY destination, or a file of a Debian package the image
installs, resolved with dpkg on this machine), and that the Kubernetes manifests in
docker/k8s/ parse, name only config keys the sidecars and the datamon config read, agree with
each other (coordination folder, database names, mounts, volumes) and grant no privilege
beyond /dev/fuse and SYS_ADMIN to the container that mounts.

Usage: check_docker.py SOURCE_ROOT [--self-test]
--self-test also breaks copies of the inputs in known ways and requires each to be caught.
Prints one line per problem and exits 1 if there is any.
"""
import copy
import fnmatch
import glob
import os
import re
import shlex
import subprocess
import sys

import yaml

SHELL_BUILTINS = {
    ".", ":", "[", "alias", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit",
    "export", "false", "getopts", "hash", "kill", "local", "printf", "pwd", "read", "readonly",
    "return", "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask",
    "unset", "wait", "source", "declare", "mapfile", "readarray", "let",
}
SHELL_KEYWORDS = {"if", "then", "elif", "else", "while", "until", "do", "!", "time", "{", "}"}
# What any application image that has /bin/sh offers (POSIX utilities, busybox included).
POSIX_UTILITIES = {"sh", "dirname", "basename", "sleep", "cat", "cp", "mv", "rm", "mkdir", "ls"}
DEFAULT_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
# The image builder needs the -dev packages of scripts/install-deps.sh and these tools; the
# rest there (git, clang and its sanitizer runtimes, formatters, fuse3 for tests, the test and
# benchmark frameworks: the image builds with BUILD_TESTING=OFF) it does not.
BUILDER_TOOLS = {"build-essential", "cmake", "ninja-build", "pkg-config", "ca-certificates"}
NOT_NEEDED_IN_BUILDER = re.compile(r"^(git|fuse3|clang.*|libclang.*|llvm.*|libgtest-dev|libgmock-dev|libbenchmark-dev)$")
BUILDER_ONLY = {"patchelf"}


class Problems:
    def __init__(self):
        self.lines = []

    def add(self, where, what):
        self.lines.append(f"{where}: {what}")


# ---- Debian packages installed on this machine --------------------------------------------

class Packages:
    """Files and dependencies of the Debian packages installed here (dpkg only, no network)."""

    def __init__(self):
        out = subprocess.run(["dpkg-query", "-W", "-f",
                              "${Package}\t${Priority}\t${Status}\t${Pre-Depends}, ${Depends}\n"],
                             capture_output=True, text=True, check=True).stdout
        self.installed, self.required, self._raw_deps, self._deps, self._files = set(), set(), {}, {}, {}
        for line in out.splitlines():
            name, priority, status, deps = line.split("\t")
            if status.endswith(" installed"):
                self.installed.add(name)
                self._raw_deps[name] = deps
                if priority == "required":
                    self.required.add(name)

    def depends(self, name):
        if name not in self._deps:
            deps = set()
            for clause in self._raw_deps.get(name, "").split(","):
                for alternative in clause.split("|"):
                    dep = re.sub(r"\(.*?\)|:\w+", "", alternative).strip()
                    if dep in self.installed:
                        deps.add(dep)
                        break
            self._deps[name] = deps
        return self._deps[name]

    def closure(self, names):
        seen, todo = set(), [n for n in names if n in self.installed]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self.depends(name) - seen)
        return seen

    def files(self, name):
        if name not in self._files:
            lists = glob.glob(f"/var/lib/dpkg/info/{name}.list") + glob.glob(f"/var/lib/dpkg/info/{name}:*.list")
            files = set()
            for path in lists:
                files |= set(open(path).read().split("\n"))
            # Debian 12 merged /usr: /bin/x is /usr/bin/x.
            files |= {"/usr" + f for f in files if f.startswith(("/bin/", "/sbin/", "/lib"))}
            files |= {f[4:] for f in files if f.startswith(("/usr/bin/", "/usr/sbin/"))}
            self._files[name] = files
        return self._files[name]


# ---- Dockerfile ---------------------------------------------------------------------------

class Stage:
    def __init__(self, name, base, line):
        self.name, self.base, self.line = name, base, line
        self.packages = set()     # apt-get install arguments
        self.copies = []          # (sources, dest, from_stage, line)
        self.runs = []            # RUN texts
        self.exec_forms = []      # (instruction, argv, line)
        self.env_path = None
        self.args = {}


def parse_dockerfile(text):
    """Stages of a Dockerfile, with continuation lines joined and comments dropped."""
    logical, buf, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf and (raw.strip().startswith("#") or not raw.strip()):
            continue
        if buf and raw.strip().startswith("#"):
            continue
        if not buf:
            start = number
        if raw.rstrip().endswith("\\"):
            buf += raw.rstrip()[:-1] + " "
            continue
        logical.append((start, buf + raw))
        buf = ""
    global_args, stages = {}, []
    for number, line in logical:
        word, _, rest = line.strip().partition(" ")
        word, rest = word.upper(), rest.strip()
        if word == "ARG" and not stages:
            key, _, value = rest.partition("=")
            global_args[key] = value
        elif word == "FROM":
            parts = rest.split()
            base = parts[0]
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(name, base, number))
        elif not stages:
            continue
        elif word == "ARG":
            key, _, value = rest.partition("=")
            stages[-1].args[key] = value or global_args.get(key, "")
        elif word == "RUN":
            stages[-1].runs.append(rest)
            for segment in re.split(r"&&|;", rest):
                m = re.search(r"apt-get install (.*)", segment)
                if m:
                    for token in shlex.split(m.group(1)):
                        if not token.startswith("-") and "=" not in token:
                            stages[-1].packages.add(token)
        elif word in ("COPY", "ADD"):
            tokens = shlex.split(rest)
            from_stage = None
            while tokens and tokens[0].startswith("--"):
                if tokens[0].startswith("--from="):
                    from_stage = tokens[0].split("=", 1)[1]
                tokens.pop(0)
            stages[-1].copies.append((tokens[:-1], tokens[-1], from_stage, number))
        elif word in ("ENTRYPOINT", "CMD"):
            stages[-1].exec_forms.append((word, yaml.safe_load(rest), number))
        elif word == "HEALTHCHECK":
            m = re.search(r"\bCMD\s+(\[.*\])", rest)
            if m:
                stages[-1].exec_forms.append((word, yaml.safe_load(m.group(1)), number))
        elif word == "ENV":
            m = re.match(r"PATH=(\S+)", rest)
            if m:
                stages[-1].env_path = m.group(1)
    for stage in stages:
        stage.packages = {expand(p, stage.args) for p in stage.packages}
        if stage.env_path:
            stage.env_path = expand(stage.env_path, stage.args)
    return stages


def expand(text, args):
    return re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), text)


def dockerignore_excludes(rules, path):
    """True when `path` (relative to the context) is left out by the .dockerignore rules."""
    excluded = False
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for negated, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not negated
    return excluded


def parse_dockerignore(text):
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((negated, re.compile(regex)))
    return rules


class Image:
    """What one stage's image holds: COPY destinations and installed Debian packages."""

    def __init__(self, stages, stage, packages):
        chain, current = [], stage
        while current is not None:
            chain.append(current)
            current = next((s for s in stages if s.name == current.base), None)
        self.stage, self.chain = stage, chain
        self.declared = set().union(*(s.packages for s in chain))
        self.packages = packages.closure(self.declared | packages.required)
        self.copied = {}
        for s in reversed(chain):
            for sources, dest, _, _ in s.copies:
                for src in sources:
                    target = dest if len(sources) == 1 and not dest.endswith("/") else \
                        os.path.join(dest, os.path.basename(src))
                    self.copied[target] = src
        path = next((s.env_path for s in chain if s.env_path), None)
        self.path = [p for p in (path or "").split(":") if p and not p.startswith("$")] + DEFAULT_PATH
        self._files = None
        self._pkgs = packages

    def entrypoint(self):
        for s in self.chain:
            for instruction, argv, _ in reversed(s.exec_forms):
                if instruction == "ENTRYPOINT":
                    return argv
        return []

    def files(self):
        if self._files is None:
            self._files = set(self.copied)
            for name in self.packages:
                self._files |= self._pkgs.files(name)
        return self._files

    def has_command(self, command):
        if command.startswith("/"):
            return command in self.files() or any(command.startswith(d.rstrip("/") + "/")
                                                  for d in self.copied)
        if any(os.path.join(d, command) in self.files() for d in self.path):
            return True
        # Commands that Debian provides through alternatives (awk -> mawk): any provider will do.
        return any(target in self.files() for target in alternatives(command))


def split_commands(text):
    """Simple commands of shell text: split at unquoted ; | & and newlines; the bodies of
    $(...), <(...) and >(...) are split the same way and returned too."""
    pieces, current, i, quote = [], "", 0, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"':
                current += c + text[i + 1:i + 2]
                i += 2
                continue
            elif quote == '"' and text.startswith("$(", i):
                inner, i = balanced(text, i + 1)
                pieces += split_commands(inner)
                current += "SUBST"
                continue
            current += c
        elif c in "'\"":
            quote = c
            current += c
        elif c == "\\":
            current += text[i:i + 2]
            i += 2
            continue
        elif text.startswith("$((", i):  # arithmetic, not a command
            _, i = balanced(text, i + 1)
            current += "SUBST"
            continue
        elif c == "&" and (text[i - 1:i] in (">", "<") or text[i + 1:i + 2] == ">"):
            current += c  # a redirection such as 1>&2 or &>file, not a background job
        elif text.startswith(("$(", "<(", ">("), i):
            inner, i = balanced(text, i + 1)
            pieces += split_commands(inner)
            current += "SUBST"
            continue
        elif c in ";|&\n":
            pieces.append(current)
            current = ""
        else:
            current += c
        i += 1
    pieces.append(current)
    return [p for p in (p.strip() for p in pieces) if p]


def balanced(text, open_at):
    """Body of the parenthesis opened at text[open_at] and the index after its closing one."""
    depth, i, quote = 0, open_at, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1:i], i + 1
        i += 1
    return text[open_at + 1:], len(text)


def script_commands(path):
    """Commands a shell script runs (not builtins, not its own functions, not $variables)."""
    pretty = subprocess.run(["bash", "--pretty-print", path], capture_output=True, text=True)
    if pretty.returncode != 0:
        raise ValueError(pretty.stderr.strip())
    text = pretty.stdout
    functions = set(re.findall(r"^\s*(\w[\w-]*) \(\)", text, re.M))
    # Here-document bodies are data.
    kept, until = [], None
    for line in text.splitlines():
        if until is not None:
            if line.strip() == until:
                until = None
            continue
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if m and "<<<" not in line:
            until = m.group(1)
        kept.append(line)
    text = "\n".join(kept)
    # Case patterns ("fuse | fuse.*)") are not commands.
    text = "\n".join(line for line in text.splitlines() if not re.fullmatch(r"\s*[^()\s][^()]*\)\s*", line))
    commands = set()
    for segment in split_commands(text):
        segment = re.sub(r"\$\{[^}]*\}", "VAR", segment)  # expansions may hold spaces
        segment = re.sub(r"\d*>&\d+|\d*>>?\s*\S+|<<<\s*\S+|<\s*\S+", " ", segment)  # redirections
        try:
            words = shlex.split(segment)
        except ValueError:
            words = segment.split()
        words = [w for w in words if w not in ("(", ")")]
        while words and (words[0] in SHELL_KEYWORDS or re.match(r"\w+=", words[0])):
            words.pop(0)
        if not words or words[0] in ("for", "case", "select") or words[:2] == ["command", "-v"]:
            continue  # a loop or case head, or a lookup that runs nothing
        while words and words[0] in ("exec", "command") and len(words) > 1:
            words.pop(0)
        word = words[0]
        if word == "timeout" and len(words) > 2 and re.match(r"^[\w./-]+$", words[2]):
            commands.add(words[2])
        if (word.startswith("-") or word in SHELL_BUILTINS or word in functions
                or word.startswith(("$", "SUBST"))
                or word in ("fi", "done", "esac", ";;", "in") or word.endswith("()")
                or not re.match(r"^[\w./-]+$", word)):
            continue
        commands.add(word)
    return commands


def check_dockerfile(root, dockerfile_text, ignore_text, packages, problems):
    where = "docker/Dockerfile"
    stages = parse_dockerfile(dockerfile_text)
    names = [s.name for s in stages]
    rules = parse_dockerignore(ignore_text)
    # Build folders stay out of the context, source files whose name starts with "build" stay in.
    for path, excluded in (("common/build/x.o", True), ("bench/build-asan/y", True),
                           ("common/build_info.cpp", False), ("sidecar/builder.h", False)):
        if dockerignore_excludes(rules, path) != excluded:
            problems.add(".dockerignore", f"'{path}' is {'not ' if excluded else ''}left out of the build context")
    # A `# syntax=` line makes BuildKit fetch a frontend image from a registry.
    for number, text in enumerate(dockerfile_text.splitlines(), 1):
        if re.match(r"#\s*syntax\s*=", text):
            problems.add(f"{where}:{number}", "a '# syntax=' line needs a registry; plain Dockerfile syntax only")
    for index, stage in enumerate(stages):
        for sources, dest, from_stage, line in stage.copies:
            if from_stage is not None:
                if from_stage not in names[:index]:
                    problems.add(f"{where}:{line}", f"COPY --from={from_stage}: no earlier stage of that name")
                    continue
                producer = stages[names.index(from_stage)]
                for src in sources:
                    made = any(src in run for run in producer.runs) or \
                        any(d.rstrip("/") == src.rstrip("/") for _, d, _, _ in producer.copies)
                    if not made:
                        problems.add(f"{where}:{line}", f"COPY --from={from_stage} {src}: that stage never makes it")
                continue
            for src in sources:
                matches = glob.glob(os.path.join(root, src))
                if not matches:
                    problems.add(f"{where}:{line}", f"COPY source '{src}' does not exist in the build context")
                elif dockerignore_excludes(rules, src):
                    problems.add(f"{where}:{line}", f"COPY source '{src}' is excluded by .dockerignore")
    # The builder installs what scripts/install-deps.sh installs to build.
    deps = open(os.path.join(root, "scripts/install-deps.sh")).read()
    m = re.search(r"build_pkgs=\((.*?)\)", deps, re.S)
    listed = set(m.group(1).split()) if m else set()
    if not listed:
        problems.add("scripts/install-deps.sh", "no build_pkgs=( ... ) list found")
    wanted = {p for p in listed if (p.endswith("-dev") or p in BUILDER_TOOLS) and not NOT_NEEDED_IN_BUILDER.match(p)}
    builder = stages[0]
    for name in sorted(wanted - builder.packages):
        problems.add(where, f"builder stage lacks '{name}' that scripts/install-deps.sh installs to build")
    for name in sorted(builder.packages - listed - BUILDER_ONLY):
        problems.add(where, f"builder stage installs '{name}' that scripts/install-deps.sh does not")
    images = {}
    for stage in stages:
        image = Image(stages, stage, packages)
        images[stage.name] = image
        for name in sorted(image.declared):
            if name not in packages.installed and apt_knows(name):
                problems.add(where, f"stage '{stage.name}' installs '{name}': install it here so the check can "
                                    "see its files (apt-get install {name})")
        entrypoint = image.entrypoint()
        for instruction, argv, line in stage.exec_forms:
            if not argv:
                continue
            if instruction == "CMD" and entrypoint:
                # CMD only gives the entrypoint its arguments: a datamon subcommand, or data.
                if entrypoint[-1].endswith("/datamon") and f'add_subcommand("{argv[0]}"' not in cli_source(root):
                    problems.add(f"{where}:{line}", f"CMD: datamon has no subcommand '{argv[0]}'")
                continue
            if not image.has_command(argv[0]):
                problems.add(f"{where}:{line}", f"{instruction} runs '{argv[0]}', which image '{stage.name}' lacks")
            # tini runs its argument after "--".
            if os.path.basename(argv[0]) == "tini" and "--" in argv:
                rest = argv[argv.index("--") + 1:]
                if rest and not image.has_command(rest[0]):
                    problems.add(f"{where}:{line}", f"{instruction} runs '{rest[0]}', which image '{stage.name}' lacks")
        for target, src in image.copied.items():
            if src.endswith(".sh") and not src.startswith("/"):
                for command in sorted(script_commands(os.path.join(root, src))):
                    runs_in_app = target.startswith("/opt/datamon/")
                    ok = command in POSIX_UTILITIES if runs_in_app else image.has_command(command)
                    if not ok:
                        place = "an application image (POSIX sh only)" if runs_in_app else f"image '{stage.name}'"
                        problems.add(src, f"calls '{command}', which {place} may lack")
    return images


_alternatives = {}


def alternatives(name):
    if name not in _alternatives:
        out = subprocess.run(["update-alternatives", "--list", name], capture_output=True, text=True).stdout
        _alternatives[name] = out.split()
    return _alternatives[name]


def cli_source(root):
    return "".join(open(p).read() for p in glob.glob(os.path.join(root, "bin/*.cpp")))


_apt_cache = {}


def apt_knows(name):
    """True when Debian's apt knows the package (packages from other repositories are skipped)."""
    if name not in _apt_cache:
        out = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True).stdout
        _apt_cache[name] = "Candidate:" in out and "Candidate: (none)" not in out
    return _apt_cache[name]


# ---- Kubernetes manifests ------------------------------------------------------------------

def quoted_upper(path):
    return set(re.findall(r'"([A-Z][A-Z0-9_]*)"', open(path).read()))


def config_keys(root):
    """Keys of datamon.yaml, from the table in common/config/config.h."""
    keys = set()
    for line in open(os.path.join(root, "common/config/config.h")):
        m = re.match(r"//\s{3}(\w+(?:, \w+)*)\s{2,}", line)
        if m and m.group(1) != "key":
            keys |= {k.strip() for k in m.group(1).split(",")}
    return keys


def pod_specs(documents):
    """(where, pod-level dict, containers, init containers, volumes) for Pods and Argo templates."""
    for doc in documents:
        kind = doc.get("kind")
        name = doc.get("metadata", {}).get("name") or doc.get("metadata", {}).get("generateName")
        if kind == "Pod":
            spec = doc["spec"]
            yield (f"Pod {name}", spec, spec.get("containers", []), spec.get("initContainers", []),
                   spec.get("volumes", []))
        elif kind == "Workflow":
            spec = doc["spec"]
            for template in spec.get("templates", []):
                if "container" not in template:
                    continue
                containers = [dict(template["container"], name="main")] + template.get("sidecars", [])
                yield (f"Workflow {name} template {template['name']}", dict(spec, **template), containers,
                       template.get("initContainers", []), spec.get("volumes", []) + template.get("volumes", []))


def mounted_volume(container, volumes, path):
    """(volume, path inside it) for an absolute path in a container, or (None, None)."""
    best = None
    for mount in container.get("volumeMounts", []):
        mp = mount["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, mount["name"])
    if best is None:
        return None, None
    volume = next((v for v in volumes if v["name"] == best[1]), None)
    return volume, path[len(best[0]):].lstrip("/")


def check_manifests(root, texts, images, problems):
    # YAML 1.1 reads 0440 as octal (288), YAML 1.2 as decimal 440: file modes in decimal only.
    for name, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            if re.search(r"\b(defaultMode|mode):\s*0\d", line):
                problems.add(f"{name}:{number}", "file mode with a leading 0: YAML 1.1 and 1.2 disagree; write it in decimal")
    documents = []
    for name, text in texts.items():
        try:
            documents += [d for d in yaml.safe_load_all(text) if d]
        except yaml.YAMLError as e:
            problems.add(name, f"does not parse as YAML: {e}")
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in documents if d.get("kind") == "ConfigMap"}
    fuse_keys = quoted_upper(os.path.join(root, "sidecar/fuse_config.cpp"))
    pg_keys = quoted_upper(os.path.join(root, "sidecar/pg_config.cpp"))
    datamon_keys = {k.lower() for k in config_keys(root)}
    cli_text = cli_source(root)
    common_source = "".join(open(p, errors="replace").read()
                            for p in glob.glob(os.path.join(root, "common/**/*.*"), recursive=True))
    image_of = {"datamon-fuse-sidecar": "fuse-sidecar", "datamon-pg-sidecar": "pg-sidecar",
                "datamon-wrapper": "wrapper"}
    if not any(True for _ in pod_specs(documents)):
        problems.add("docker/k8s", "no Pod or Workflow found")

    def configmap_file(where, container, volumes, path):
        volume, key = mounted_volume(container, volumes, path)
        if volume is None or "configMap" not in volume:
            problems.add(where, f"'{path}' is not in a ConfigMap volume of container '{container['name']}'")
            return None
        cm = volume["configMap"]["name"]
        if cm not in configmaps or key not in configmaps[cm]:
            problems.add(where, f"'{path}': ConfigMap '{cm}' has no key '{key}' in docker/k8s")
            return None
        try:
            return yaml.safe_load(configmaps[cm][key]) or {}
        except yaml.YAMLError as e:
            problems.add(where, f"ConfigMap '{cm}' key '{key}' does not parse: {e}")
            return None

    for where, pod, containers, inits, volumes in pod_specs(documents):
        volume_names = {v["name"] for v in volumes}
        coords, databases, waited = set(), set(), set()
        for container in inits + containers:
            cw = f"{where} container {container['name']}"
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volume_names:
                    problems.add(cw, f"mounts volume '{mount['name']}' that the pod does not define")
            sc = container.get("securityContext", {})
            if sc.get("privileged"):
                problems.add(cw, "is privileged: only /dev/fuse and SYS_ADMIN are needed")
            added = set(sc.get("capabilities", {}).get("add", []))
            argv = container.get("command", []) + container.get("args", [])
            image = images.get(image_of.get(container["image"].split(":")[0]))
            if container.get("command") is None and image is not None:
                entry = next((a for i, a, _ in image.stage.exec_forms if i == "ENTRYPOINT"), [])
                argv = entry + argv
            exe = argv[0] if argv else ""
            if exe.startswith("/opt/datamon/"):
                volume, _ = mounted_volume(container, volumes, exe)
                installers = [c for c in inits if volume is not None and
                              any(m["name"] == volume["name"] for m in c.get("volumeMounts", []))]
                if not installers or not images["wrapper"].has_command(exe):
                    problems.add(cw, f"runs '{exe}', which no init container installs from the wrapper image")
            elif image is not None and exe and not image.has_command(exe):
                problems.add(cw, f"runs '{exe}', which its image lacks")
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                command = container.get(probe, {}).get("exec", {}).get("command", [])
                if command and image is not None and not image.has_command(command[0]):
                    problems.add(cw, f"{probe} runs '{command[0]}', which its image lacks")
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            for name, value in env.items():
                if name.startswith("DATAMON_") and name not in common_source:
                    problems.add(cw, f"env {name}: the datamon config does not read it")
                if name in ("GOOGLE_APPLICATION_CREDENTIALS",) or name.startswith("AWS_"):
                    if name not in common_source:
                        problems.add(cw, f"env {name}: no store reads it")
                    volume, _ = mounted_volume(container, volumes, value or "")
                    if value and (volume is None or "secret" not in volume):
                        problems.add(cw, f"env {name}: '{value}' is not in a Secret volume")
            if "DATAMON_CONFIG" in env:
                config = configmap_file(cw, container, volumes, env["DATAMON_CONFIG"])
                for key in (config or {}):
                    if key.lower() not in datamon_keys:
                        problems.add(cw, f"datamon config key '{key}' is not read (common/config/config.h)")
            fuse_config = None
            if "with-fuse-sidecar" in exe and len(argv) > 1:
                fuse_config = argv[1]
            if "sidecar" in argv and "fuse" in argv and "--config" in argv:
                fuse_config = argv[argv.index("--config") + 1]
            if fuse_config:
                if "SYS_ADMIN" not in added or not any(m["mountPath"] == "/dev/fuse"
                                                       for m in container.get("volumeMounts", [])):
                    problems.add(cw, "runs the fuse sidecar without SYS_ADMIN and /dev/fuse")
                params = configmap_file(cw, container, volumes, fuse_config) or {}
                for key in params:
                    if key not in ("globalOpts", "bundles"):
                        problems.add(cw, f"fuse sidecar key '{key}' is not read")
                for key in params.get("globalOpts", {}) or {}:
                    if "GLOBALOPTS_" + key.upper() not in fuse_keys:
                        problems.add(cw, f"fuse sidecar key 'globalOpts.{key}' is not read (sidecar/fuse_config.cpp)")
                coords.add(params.get("globalOpts", {}).get("coordPoint", "/tmp/coord"))
                for bundle in params.get("bundles", []) or []:
                    for key, value in bundle.items():
                        if key != "name" and key.upper() not in fuse_keys:
                            problems.add(cw, f"fuse sidecar key 'bundles[].{key}' is not read (sidecar/fuse_config.cpp)")
                        if key in ("srcPath", "destPath") and mounted_volume(container, volumes, value)[0] is None:
                            problems.add(cw, f"bundles[].{key} '{value}' is not on a volume of this container")
            elif added - {"SYS_ADMIN"} or ("SYS_ADMIN" in added):
                problems.add(cw, f"adds capabilities {sorted(added)} but runs no fuse sidecar")
            if "sidecar" in argv and "pg" in argv:
                path = argv[argv.index("--config") + 1] if "--config" in argv else None
                params = configmap_file(cw, container, volumes, path) if path else {}
                params = params or {}
                for key in params:
                    if key not in ("globalOpts", "database"):
                        problems.add(cw, f"pg sidecar key '{key}' is not read")
                flat = {}
                for section in ("globalOpts", "database"):
                    for key, value in (params.get(section) or {}).items():
                        flat[f"{section.upper()}_{key.upper()}"] = value
                for name, value in env.items():
                    if name.startswith("SIDECAR_"):
                        flat[name[len("SIDECAR_"):]] = value
                for key in flat:
                    if key not in pg_keys:
                        problems.add(cw, f"pg sidecar key '{key}' (YAML or SIDECAR_{key}) is not read "
                                         "(sidecar/pg_config.cpp)")
                coords.add(flat.get("GLOBALOPTS_COORDPOINT", "/tmp/coord"))
                databases.add(flat.get("DATABASE_NAME", "db"))
                data_dir = flat.get("DATABASE_DATADIR", "/pg_stage")
                if mounted_volume(container, volumes, data_dir)[0] is None:
                    problems.add(cw, f"database.dataDir '{data_dir}' is not on a volume of this container")
            rest = None
            if "wrap" in argv[:3]:
                rest = argv[argv.index("wrap") + 1:]
            elif "with-fuse-sidecar" in exe and "--" in argv:
                rest = argv[argv.index("--") + 1:]
            if rest is not None:
                options = rest[:rest.index("--")] if "--" in rest else rest
                for option in options:
                    if option.startswith("--") and f'"{option}"' not in cli_text:
                        problems.add(cw, f"datamon wrap has no option {option}")
                if "--coord" in options:
                    coords.add(options[options.index("--coord") + 1])
                waited |= {options[i + 1] for i, o in enumerate(options) if o == "--pg"}
        for coord in coords:
            for container in containers:
                if container.get("name") and mounted_volume(container, volumes, coord)[0] is None and \
                        any(k in " ".join(container.get("command", []) + container.get("args", []))
                            for k in ("sidecar", "wrap", "--coord")):
                    problems.add(where, f"container '{container['name']}' does not mount the coordination folder {coord}")
        if len(coords) > 1:
            problems.add(where, f"the wrapper and the sidecars use different coordination folders: {sorted(coords)}")
        if waited != databases:
            problems.add(where, f"the wrapper waits for databases {sorted(waited)} but the pg sidecars serve "
                                f"{sorted(databases)}")
    return documents


# ---- driver --------------------------------------------------------------------------------

def run_checks(root, dockerfile, ignore, manifests, packages):
    problems = Problems()
    images = check_dockerfile(root, dockerfile, ignore, packages, problems)
    check_manifests(root, manifests, images, problems)
    return problems.lines


def self_test(root, dockerfile, ignore, manifests, packages):
    """Each broken copy must be caught; returns the mutations that were not."""
    pod = manifests["docker/k8s/pod.yaml"]
    config = manifests["docker/k8s/config.yaml"]

    def with_pod(new_pod):
        return dict(manifests, **{"docker/k8s/pod.yaml": new_pod})

    pod_doc = yaml.safe_load(pod)

    def mutate_pod(change):
        doc = copy.deepcopy(pod_doc)
        change(doc)
        return with_pod(yaml.safe_dump(doc))

    cases = {
        "COPY of a missing file": (dockerfile.replace("COPY cmake cmake", "COPY cmake/nope.cmake cmake/"), ignore, manifests),
        "COPY source excluded by the ignore file": (dockerfile, ignore + "\ncommon/\n", manifests),
        "ignore pattern that also matches files": (dockerfile, ignore.replace("**/build*/**", "**/build*/"), manifests),
        "syntax line": ("# syntax=docker/dockerfile:1\n" + dockerfile, ignore, manifests),
        "octal-looking defaultMode": (dockerfile, ignore, with_pod(pod.replace("defaultMode: 288", "defaultMode: 0440"))),
        "entrypoint command not in the image": (dockerfile.replace('"/usr/bin/tini", "--", "/usr/local/bin/install-datamon.sh"',
                                                                   '"/usr/bin/tini", "--", "/usr/bin/nonexistent"'), ignore, manifests),
        "health check command not in the image": (dockerfile.replace("COPY docker/healthcheck-pg.sh /usr/local/lib/datamon/healthcheck-pg.sh\n", ""),
                                                  ignore, manifests),
        "shipped script calls a command the image lacks": (dockerfile.replace(
            "COPY docker/install-datamon.sh /usr/local/bin/install-datamon.sh",
            "COPY docker/install-datamon.sh /usr/local/bin/install-datamon.sh\n"
            "COPY docker/healthcheck-pg.sh /usr/local/lib/datamon/healthcheck-pg.sh"), ignore, manifests),
        "CMD names no datamon subcommand": (dockerfile.replace('CMD ["sidecar", "pg"', 'CMD ["sidecars", "pg"'), ignore, manifests),
        "wrap option that datamon lacks": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["containers"][0]["args"].__setitem__(2, "--fuse-mount"))),
        "builder out of step with install-deps.sh": (dockerfile.replace(" libb2-dev ", " "), ignore, manifests),
        "manifest that does not parse": (dockerfile, ignore, dict(manifests, **{"docker/k8s/pod.yaml": pod + "\n  - ]["})),
        "unknown fuse sidecar key": (dockerfile, ignore, dict(manifests, **{
            "docker/k8s/config.yaml": config.replace("srcLabel: production", "sourceLabel: production")})),
        "unknown pg sidecar key": (dockerfile, ignore, dict(manifests, **{
            "docker/k8s/config.yaml": config.replace("destMessage: database", "destMesage: database")})),
        "unknown datamon config key": (dockerfile, ignore, dict(manifests, **{
            "docker/k8s/config.yaml": config.replace("context: dev", "kontext: dev")})),
        "privileged container": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["containers"][1].setdefault("securityContext", {}).update(privileged=True))),
        "wrapper waits for another database": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["containers"][0]["args"].__setitem__(4, "other"))),
        "coordination folder mismatch": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["containers"][1]["env"][0].update(value="/elsewhere"))),
        "fuse sidecar without /dev/fuse": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["containers"][0]["volumeMounts"].pop(2))),
        "undefined volume": (dockerfile, ignore, mutate_pod(
            lambda d: d["spec"]["volumes"].pop(0))),
    }
    missed = []
    for name, (df, ig, mf) in cases.items():
        if not run_checks(root, df, ig, mf, packages):
            missed.append(name)
    return missed


def main():
    if len(sys.argv) < 2:
        print("usage: check_docker.py SOURCE_ROOT [--self-test]", file=sys.stderr)
        return 2
    root = sys.argv[1]
    read = lambda rel: open(os.path.join(root, rel)).read()  # noqa: E731
    dockerfile = read("docker/Dockerfile")
    ignore = read(".dockerignore")
    manifests = {os.path.relpath(p, root): open(p).read()
                 for p in sorted(glob.glob(os.path.join(root, "docker/k8s/*.yaml")))}
    packages = Packages()
    lines = run_checks(root, dockerfile, ignore, manifests, packages)
    for line in lines:
        print(line)
    if "--self-test" in sys.argv[2:]:
        for name in self_test(root, dockerfile, ignore, manifests, packages):
            lines.append(name)
            print(f"self-test: a broken copy was not caught: {name}")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
