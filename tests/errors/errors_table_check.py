#!/usr/bin/env python3
"""Fails when docs/errors.md names a test that does not exist, so the table cannot rot.

Every row of every table in the page must name at least one test in its last column, as
`tests/<dir>/<file>.cpp`: "<test case name>"; the file must exist and hold a doctest
TEST_CASE of exactly that name (adjacent string literals joined, as the compiler does).
Usage: errors_table_check.py <docs/errors.md> <repository root>
"""
import pathlib
import re
import sys

REFERENCE = re.compile(r'`(tests/[^`]+\.cpp)`:\s*"([^"]+)"')
TEST_CASE = re.compile(r'TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def test_names(source: str) -> set:
    names = set()
    for match in TEST_CASE.finditer(source):
        text = "".join(LITERAL.findall(match.group(1)))
        names.add(re.sub(r"\\(.)", r"\1", text))
    return names


def table_rows(page: str):
    """(line number, last cell) of each body row of each table."""
    lines = page.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.startswith("|"):
            continue
        previous = lines[number - 2] if number >= 2 else ""
        if re.match(r"^\|\s*-", line) or (number < len(lines) and re.match(r"^\|\s*-", lines[number])):
            continue  # the separator, or the header above it
        if not previous.startswith("|"):
            continue  # a header without separator is not a table row
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        yield number, cells[-1]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    page_path = pathlib.Path(sys.argv[1])
    root = pathlib.Path(sys.argv[2])
    page = page_path.read_text(encoding="utf-8")
    cache = {}
    problems = []
    rows = 0
    references = 0
    for number, cell in table_rows(page):
        rows += 1
        found = REFERENCE.findall(cell)
        if not found:
            problems.append(f"{page_path}:{number}: the row names no test")
        for file, name in found:
            references += 1
            path = root / file
            if file not in cache:
                cache[file] = test_names(path.read_text(encoding="utf-8")) if path.is_file() else None
            if cache[file] is None:
                problems.append(f"{page_path}:{number}: {file} does not exist")
            elif name not in cache[file]:
                problems.append(f'{page_path}:{number}: {file} has no TEST_CASE("{name}")')
    if rows == 0:
        problems.append(f"{page_path}: no table rows found")
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"{rows} rows, {references} test references, all found")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
