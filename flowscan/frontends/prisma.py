"""Prisma schemas (`schema.prisma`, `prisma/schema/*.prisma`): each `model` becomes a
class with its fields, so `prisma.member.findUnique(...)` answers a record of the
project's `Member`, read like any other model (its fields speak when it is sent whole).

A schema is declarations only, one per line, so a line grammar reads it exactly; no
tree-sitter grammar for it ships with the dependencies."""

from __future__ import annotations

import re

from flowscan import ir

MODEL = re.compile(r"^[ \t]*model[ \t]+([A-Za-z_]\w*)[ \t]*\{", re.M)
FIELD = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]+([A-Za-z_][\w.]*)(\[\])?\??")
LANGUAGE = "javascript"  # the client it generates is used from JS/TS
SCALARS = {"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json",
           "Bytes", "Unsupported"}


def is_schema(name: str) -> bool:
    return name.endswith(".prisma")


def lower_schema(path: str, text: str) -> ir.Module:
    """Models as classes bound to their names in the module (a field whose type is
    another model resolves there: `member Member @relation(...)`)."""
    found = [(m.group(1), m.end(), text.count("\n", 0, m.start()) + 1)
             for m in MODEL.finditer(text)]
    models = {name for name, _, _ in found}
    body: list[ir.Stmt] = []
    classes: dict[str, ir.Class] = {}
    for name, start, line in found:
        end = text.find("}", start)
        fields: list[str] = []
        types: dict[str, str] = {}
        for raw in text[start: end if end >= 0 else len(text)].splitlines():
            hit = FIELD.match(raw.split("//", 1)[0])
            if hit is None:  # `@@map(...)`, blank lines, comments
                continue
            if hit.group(2) in models:
                types[hit.group(1)] = hit.group(2)
            if hit.group(2) in models or (hit.group(2) not in SCALARS and (
                    hit.group(3) or "@relation" in raw)):
                continue  # a relation (also to a model of another schema file) holds
            fields.append(hit.group(1))  # other records: `emails NotificationEmail[]` makes
            # no Bounty a person
        cid = f"{path}::{name}"
        pos = (line, 1, line, 1)
        classes[cid] = ir.Class(cid, name, (), {}, tuple(fields), pos, types)
        body.append(ir.Assign(ir.Name(name, pos), ir.ClassRef(cid)))
    return ir.Module(path, LANGUAGE, (), tuple(body), {}, classes)
