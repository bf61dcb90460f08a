#!/usr/bin/env python3
"""Holds schemas/styxy.schema.json to what `styxy validate` decides, with a real JSON Schema
validator (Python's jsonschema, draft 2020-12, formats asserted).

Every manifest the repository has (the examples in manifests/, the valid and invalid fixtures, the
init golden, and the YAML examples in the docs and README that have `services:`) is read twice:
by `styxy validate` and, parsed as YAML 1.2 the way yaml-language-server parses it, by the schema.

- What `validate` accepts, the schema must accept: an editor must never flag a good manifest.
- What `validate` refuses, the schema must refuse too, unless the fixture is listed in
  schemas/validate-only.txt with the reason only `validate` can see it (a missing folder, a name
  listed in `after:` that is no service, a YAML duplicate key). A listed fixture must still be
  accepted by the schema, so the list stays exact.
- Docs examples and the edge cases below that `validate` refuses (a Compose file's `services:`,
  a fragment, a value only `validate` can judge) are counted, not judged; the folders an
  example's `cwd:` names are created for it first.

Usage: scripts/check-schema.py --styxy PATH-TO-STYXY
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "schemas", "styxy.schema.json")
VALIDATE_ONLY = os.path.join(ROOT, "schemas", "validate-only.txt")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core scalars, as yaml-language-server and Styxy read
    them: `yes`/`on` stay strings, `0x50` and `1_000` are not numbers, and `<<` is a plain key
    (no merge), so the schema sees what an editor sees."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(pattern), first)


# Manifests at the edges of what `validate` takes (numbers where text goes, signs and zeros in
# ports, empty and odd paths, durations): only the first rule is asked of them, since many are
# meant to be refused by `validate` for reasons a schema cannot see.
EDGES = [
    'services: {web: {type: dev, command: ""}}',
    'services: {web: {type: dev, command: 42}}',
    'project: 2024\nservices: {web: {type: dev}}',
    'project: true\nservices: {web: {type: dev}}',
    'project: "shöp ✓"\nservices: {web: {type: dev}}',
    'services: {web: {type: dev, port: +3000}}',
    'services: {web: {type: dev, port: 03000}}',
    'services: {web: {type: dev, port: 3000.0}}',
    'services: {web: {type: dev, compose: {service: 123, target: 80}}}',
    'services: {web: {type: dev, compose: {service: web, target: 80, host_ip: "::ffff:127.0.0.1"}}}',
    'services: {web: {type: dev, env: PORT}}',
    'services: {web: {type: dev, env: _PORT}}',
    'services: {web: {type: dev, env: [PORT_1, WEB_PORT]}}',
    'services: {web: {range: [3000, 3000]}}',
    'services: {web: {type: dev, shared: True, protocol: udp}}',
    'services: {web: {type: dev, allow_privileged: true, range: [80, 90], port: 80}}',
    'services: {web: {type: dev, allow_privileged: true, ports: {http: {port: 80}}}}',
    'services: {web: {type: dev, allow_privileged: false}}',
    'services: {w: {type: dev}, a-very-long-name_with-every-kind-of-character-allowed-012345678: {type: api}}',
    'services: {web: {type: dev, ports: {a-b: {}, c_d: ~, e: {env: E_PORT}}}}',
    'services: {web: {type: dev}}\noutputs: []',
    'services: {web: {type: dev}}\noutputs: [{template: dotenv, path: ./.env}, {template: json, path: "a//b/./c.json"}]',
    'services: {web: {type: dev}}\noutputs: [{template: dotenv, path: .gitx}, {template: shell, path: x/.git/y}]',
    'services: {web: {type: dev}}\noutputs: [{template: npm-scripts, path: 1}]',
    'services: {web: {type: dev, command: x, cwd: "./"}}',
    'services: {web: {type: dev, command: "{{port}} {{WEB_PORT}}"}}',
    'services: {web: {type: dev, ready: {timeout: .5s}}, api: {type: api, ready: {timeout: 1h}}}',
    'services: {web: {type: dev, ready: {timeout: 1m30s}, after: api}, api: {type: api, after: [db]}, db: {type: database}}',
    'services:\n  web: &base\n    type: dev\n  api:\n    type: api\n    env: API_PORT',
]


def parse(text):
    return yaml.load(text, Loader=Yaml12Loader)


def docs_examples(folder):
    """The ```yaml blocks of the docs and README that declare services, written to files."""
    found = []
    sources = sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)) + [os.path.join(ROOT, "README.md")]
    for source in sources:
        with open(source, encoding="utf-8") as handle:
            text = handle.read()
        for index, block in enumerate(re.findall(r"^```ya?ml\n(.*?)^```", text, flags=re.M | re.S)):
            try:
                document = parse(block)
            except yaml.YAMLError:
                continue
            if not isinstance(document, dict) or "services" not in document:
                continue
            name = f"{os.path.relpath(source, ROOT)}#{index + 1}"
            path = os.path.join(folder, f"example-{len(found)}", "styxy.yaml")
            os.makedirs(os.path.dirname(path))
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(block)
            # The folders its services run in, so `validate` judges the example, not this checkout.
            for service in (document.get("services") or {}).values():
                if isinstance(service, dict) and isinstance(service.get("cwd"), str) and not service["cwd"].startswith(("/", "~")):
                    os.makedirs(os.path.join(os.path.dirname(path), service["cwd"]), exist_ok=True)
            found.append((name, path))
    return found


def validate_accepts(styxy, path, environment):
    run = subprocess.run([styxy, "validate", "-m", path], capture_output=True, text=True, env=environment,
                         cwd=os.path.dirname(path))
    if run.returncode not in (0, 65):
        sys.exit(f"styxy validate -m {path} exited {run.returncode}: {run.stderr}")
    return run.returncode == 0


def schema_problems(validator, path):
    try:
        with open(path, encoding="utf-8-sig") as handle:
            document = parse(handle.read())
    except UnicodeDecodeError as error:
        return [f"not UTF-8: {error.reason}"]
    except yaml.YAMLError as error:
        return [f"not YAML: {str(error).splitlines()[0]}"]
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in validator.iter_errors(document)]


def read_validate_only():
    listed = {}
    with open(VALIDATE_ONLY, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{VALIDATE_ONLY}: '{name}' needs a reason")
            listed[name] = reason.strip()
    return listed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--styxy", required=True, help="the styxy binary whose `validate` is the reference")
    options = parser.parse_args()
    styxy = os.path.abspath(options.styxy)

    with open(SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    listed = read_validate_only()

    failures = []
    counts = {"accepted": 0, "refused": 0, "validate only": 0, "examples refused": 0}
    with tempfile.TemporaryDirectory() as scratch:
        # No user configuration (it could add types or reserve ports) and no real state home.
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch,
                       "STYXY_HOME": os.path.join(scratch, "state"), "NO_COLOR": "1"}
        fixtures = os.path.join(ROOT, "Tests", "Fixtures")
        cases = [(os.path.relpath(path, ROOT), path) for path in sorted(
            glob.glob(os.path.join(ROOT, "manifests", "*", "styxy.yaml"))
            + glob.glob(os.path.join(fixtures, "manifests", "valid", "*.yaml"))
            + glob.glob(os.path.join(fixtures, "manifests", "invalid", "*.yaml"))
            + glob.glob(os.path.join(fixtures, "init", "golden", "*.yaml")))]
        examples = docs_examples(os.path.join(scratch, "docs"))
        for index, text in enumerate(EDGES):
            path = os.path.join(scratch, "edges", f"edge-{index}", "styxy.yaml")
            os.makedirs(os.path.dirname(path))
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            examples.append((f"edge case {index + 1}: {text!r}", path))
        seen_listed = set()
        for name, path in cases + examples:
            fixture = os.path.splitext(os.path.basename(path))[0] if "/invalid/" in path else None
            accepted = validate_accepts(styxy, path, environment)
            problems = schema_problems(validator, path)
            if accepted:
                counts["accepted"] += 1
                if problems:
                    failures.append(f"{name}: `styxy validate` accepts it, the schema refuses it: {problems}")
                if fixture in listed:
                    failures.append(f"{name}: listed in validate-only.txt, but `styxy validate` accepts it")
            elif fixture is None and name in dict(examples):
                counts["examples refused"] += 1
            elif fixture in listed:
                seen_listed.add(fixture)
                counts["validate only"] += 1
                if problems:
                    failures.append(f"{name}: listed in validate-only.txt, but the schema refuses it too "
                                    f"(remove it from the list): {problems}")
            else:
                counts["refused"] += 1
                if not problems:
                    failures.append(f"{name}: `styxy validate` refuses it and the schema accepts it; a structural "
                                    "mistake needs a schema rule, anything else a line in schemas/validate-only.txt")
        for name in sorted(set(listed) - seen_listed):
            failures.append(f"validate-only.txt names '{name}', which is no invalid fixture")

    print(f"schema check: {counts['accepted']} accepted by both, {counts['refused']} refused by both, "
          f"{counts['validate only']} refused by validate only (listed), {counts['examples refused']} docs examples and edge cases refused by validate")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
