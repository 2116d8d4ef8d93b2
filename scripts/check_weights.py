#!/usr/bin/env python3
"""Compares the storage side of two weights files function by function: the database reads and
writes (base and per component) and the estimated proof size (base and per component) that
`scripts/weight-template.hbs` writes for each benchmark, and the storage items each benchmark
touched with their most reads and writes. Ref time is not compared (it is measured, and noisy);
these are counted, so a benchmark run of the same code gives them exactly.

Usage: check_weights.py COMMITTED GENERATED [NAME]
Prints one line per function and exits 1 when any differs, 2 on a file it cannot read.
"""

import re
import sys


def functions(text):
    """The `SubstrateWeight` functions of a weights file: name -> what it counts."""
    start = text.find("impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T>")
    end = text.find("impl WeightInfo for ()", start)
    if start < 0 or end < 0:
        raise ValueError("no `SubstrateWeight` implementation followed by the `()` one")
    body = text[start:end]
    found = {}
    # Each function with the doc comment lines above it.
    pattern = re.compile(r"((?:\t///[^\n]*\n)*)\tfn (\w+)\(([^)]*)\) -> Weight \{\n(.*?)\n\t\}\n", re.S)
    for docs, name, params, code in pattern.findall(body):
        storage = tuple(re.findall(r"/// Storage: `([^`]+)` \(r:(\d+) w:(\d+)\)", docs))
        base = re.search(r"Weight::from_parts\(\s*[\d_]+,\s*([\d_]+)\)", code)
        counted = {
            "storage": storage,
            "proof": int(base.group(1).replace("_", "")) if base else None,
            "reads": terms(code, "reads"),
            "writes": terms(code, "writes"),
            "proof per component": tuple(
                (component, int(size.replace("_", "")))
                for size, component in re.findall(
                    r"Weight::from_parts\(0, ([\d_]+)\)\.saturating_mul\((\w+)\.into\(\)\)", code
                )
            ),
        }
        found[name] = counted
    return found


def terms(code, kind):
    """The `reads` or `writes` terms of a function: its base and each component's slope."""
    base = sum(int(n) for n in re.findall(r"DbWeight::get\(\)\.%s\((\d+)_u64\)" % kind, code))
    slopes = tuple(
        (component, int(n))
        for n, component in re.findall(
            r"DbWeight::get\(\)\.%s\(\((\d+)_u64\)\.saturating_mul\((\w+)\.into\(\)\)\)" % kind, code
        )
    )
    return (base, slopes)


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    label = sys.argv[3] if len(sys.argv) == 4 else sys.argv[1]
    try:
        with open(sys.argv[1]) as file:
            committed = functions(file.read())
        with open(sys.argv[2]) as file:
            generated = functions(file.read())
    except (OSError, ValueError) as error:
        print(f"{label}: {error}", file=sys.stderr)
        return 2
    differs = 0
    for name in sorted(set(committed) | set(generated)):
        old, new = committed.get(name), generated.get(name)
        if old is None or new is None:
            where = "committed" if old is None else "generated"
            print(f"{label} {name}: DIFFERS: not in the {where} weights")
            differs += 1
            continue
        changed = [key for key in old if old[key] != new[key]]
        if not changed:
            reads, writes = new["reads"], new["writes"]
            print(f"{label} {name}: same (reads {fmt(reads)}, writes {fmt(writes)}, proof {new['proof']})")
            continue
        differs += 1
        print(f"{label} {name}: DIFFERS in {', '.join(changed)}")
        for key in changed:
            print(f"    {key}: committed {old[key]}")
            print(f"    {key}: generated {new[key]}")
    return 1 if differs else 0


def fmt(term):
    base, slopes = term
    return " + ".join([str(base)] + [f"{n}*{c}" for c, n in slopes])


if __name__ == "__main__":
    sys.exit(main())
