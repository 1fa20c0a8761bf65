"""How camscan's house checks read a Rust file (imported by scripts/house-report and
scripts/module-cycles; not a command).

`mask(text)` blanks what is not code (comments, string, raw-string and char literals) with spaces,
keeping every newline, so that braces and `#[cfg(test)]` are only ever found in code.
`crate_roots(repo)` lists the workspace's crates under crates/ (name, src folder).
`without_tests(text)` removes every item under `#[cfg(test)]` (a `mod tests { ... }` block, a
`mod testing;` line, a test-only function), wherever it stands in the file, and keeps the rest:
the checks see all of a file's code, not only what comes before its first `#[cfg(test)]`.
"""
import os
import re


def mask(text):
    out = list(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.compile(r'b?r(#*)"').match(text, i)
            if m:
                end = text.find('"' + m.group(1), m.end())
                end = n if end < 0 else end + 1 + len(m.group(1))
                blank(i, end)
                i = end
            elif text.startswith('b"', i) or text.startswith("b'", i):
                i += 1  # the literal itself is read next
            else:
                i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}'), else a lifetime or label ('a).
            if i + 1 < n and text[i + 1] == "\\":
                j = text.find("'", i + 2)
                j = n if j < 0 else j
                blank(i, j + 1)
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1
        else:
            i += 1
    return "".join(out)


CFG_TEST = re.compile(r"#\[cfg\(test\)\]")
ATTRIBUTE = re.compile(r"\s*#\[[^\]]*\]")


def test_spans(code):
    """(start, end) offsets in masked `code` of each item under `#[cfg(test)]`, attribute included."""
    spans = []
    pos = 0
    while True:
        m = CFG_TEST.search(code, pos)
        if not m:
            return spans
        j = m.end()
        while True:  # further attributes of the same item
            a = ATTRIBUTE.match(code, j)
            if not a:
                break
            j = a.end()
        semi, brace = code.find(";", j), code.find("{", j)
        if semi >= 0 and (brace < 0 or semi < brace):
            end = semi + 1
        elif brace < 0:
            end = len(code)
        else:
            depth, k = 0, brace
            while k < len(code):
                if code[k] == "{":
                    depth += 1
                elif code[k] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            end = k + 1
        spans.append((m.start(), end))
        pos = end


def without_tests(text):
    """`(code_lines, text_lines, numbers)`: the file's lines outside `#[cfg(test)]` items, masked,
    as written, and their 1-based line numbers in the file (a line that holds only test code is
    dropped; the three lists stay index for index)."""
    code = mask(text)
    drop = bytearray(len(text))
    for a, b in test_spans(code):
        drop[a:b] = b"\x01" * (b - a)
    kept_code, kept_text, numbers = [], [], []
    start = 0
    for number, (line_code, line_text) in enumerate(zip(code.split("\n"), text.split("\n")), 1):
        end = start + len(line_text)  # the offset of the line's newline
        if any(drop[start : end + 1]):
            # Keep what is left of the line only when code is left of it.
            line_code = "".join(" " if drop[k] else line_code[k - start] for k in range(start, end))
            if line_code.strip():
                kept_code.append(line_code)
                kept_text.append(line_text)
                numbers.append(number)
        else:
            kept_code.append(line_code)
            kept_text.append(line_text)
            numbers.append(number)
        start = end + 1
    if text.endswith("\n") and kept_text and kept_text[-1] == "":
        kept_code.pop()
        kept_text.pop()
        numbers.pop()
    return kept_code, kept_text, numbers


def crate_roots(repo):
    """The workspace's crates below the main one, as (library name, its src/ folder): each
    `crates/<dir>/` with a Cargo.toml, named by its `[lib] name` (else the folder's name)."""
    out = []
    base = os.path.join(repo, "crates")
    for d in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        manifest = os.path.join(base, d, "Cargo.toml")
        if not os.path.isfile(manifest):
            continue
        text = open(manifest, encoding="utf-8").read()
        m = re.search(r'^\[lib\][^\[]*?^name\s*=\s*"([a-z_0-9]+)"', text, re.M | re.S)
        out.append((m.group(1) if m else d.replace("-", "_"), os.path.join(base, d, "src")))
    return out


def test_only_files(src):
    """Files whose module their parent declares under `#[cfg(test)]` (fixtures), or under
    `#[cfg(any(test, feature = "test-support"))]` (a crate's fixtures its dependents' tests share
    too): test code."""
    out = set()
    decl = re.compile(
        r"#\[cfg\((?:test|any\(test,\s*feature\s*=\s*\"test-support\"\))\)\]\s*"
        r"(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+)\s*;"
    )
    for dirpath, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            text = open(os.path.join(dirpath, name), encoding="utf-8").read()
            here = dirpath if name in ("mod.rs", "lib.rs", "main.rs") else os.path.join(dirpath, name[:-3])
            for m in decl.finditer(text):
                for cand in (os.path.join(here, m.group(1) + ".rs"), os.path.join(here, m.group(1), "mod.rs")):
                    out.add(os.path.normpath(cand))
    return out
