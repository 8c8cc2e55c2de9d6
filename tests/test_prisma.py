"""Prisma schemas: models as classes (frontends/prisma.py), the client's model
properties and `@prisma/client` types as those models (analysis/engine.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowscan.frontends.prisma import lower_schema
from flowscan.targets import discover
from tests.projects import scan, write_project

SCHEMA = """\
generator client {
  provider = "prisma-client-js"
}

enum Plan {
  FREE
  PRO
}

/// someone who books
model Client {
  id        String   @id @default(cuid())
  email     String   @unique // login
  fullName  String
  plan      Plan     @default(FREE)
  visits    Visit[]
  @@map("clients")
}

model Visit {
  id       Int    @id @default(autoincrement())
  clientId String
  client   Client @relation(fields: [clientId], references: [id])
  room     String
}
"""

DB = """\
import { PrismaClient } from '@prisma/client';
export const prisma = new PrismaClient();
"""

ROUTE = """\
import * as Sentry from '@sentry/node';
import { PostHog } from 'posthog-node';
import type { Client } from '@prisma/client';
import { prisma } from './db';

const posthog = new PostHog('phc_key');

export async function visited(id: number) {
  const visit = await prisma.visit.findUniqueOrThrow({ where: { id }, include: { client: true } });
  posthog.capture({ distinctId: 'ops', event: 'visit',
                    properties: { room: visit.room, who: visit.client } });
}

export function welcome(client: Client) {
  Sentry.setContext('client', client);
}
"""


def test_models_become_classes_with_their_fields_and_relations() -> None:
    module = lower_schema("prisma/schema.prisma", SCHEMA)
    client = module.classes["prisma/schema.prisma::Client"]
    visit = module.classes["prisma/schema.prisma::Visit"]
    assert client.fields == ("id", "email", "fullName", "plan")  # `visits`: other records
    assert client.types == {"visits": "Visit"}  # Plan is an enum, not a model
    assert visit.types == {"client": "Client"}
    assert sorted(module.classes) == ["prisma/schema.prisma::Client", "prisma/schema.prisma::Visit"]


def test_a_record_from_the_client_and_a_typed_parameter_send_the_models_fields(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, {
        "prisma/schema.prisma": SCHEMA, "src/db.ts": DB, "src/route.ts": ROUTE})
    found = {f.span.line: f.categories for f in scan(root, catalog, False).findings}
    assert found == {10: ("email", "name", "user_id"), 15: ("email", "name", "user_id")}


def test_the_copy_prisma_generates_into_node_modules_is_not_read(tmp_path: Path) -> None:
    for rel in ("prisma/schema.prisma", "node_modules/.prisma/client/schema.prisma"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(SCHEMA)
    assert list(discover([tmp_path]).schemas) == ["prisma/schema.prisma"]


def test_editing_the_schema_invalidates_a_stored_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    root = write_project(tmp_path, monkeypatch, {
        "prisma/schema.prisma": SCHEMA, "src/db.ts": DB, "src/route.ts": ROUTE})
    first = scan(root, catalog).findings
    assert {f.categories for f in first} == {("email", "name", "user_id")}
    (root / "prisma" / "schema.prisma").write_text(
        SCHEMA.replace("  email     String   @unique // login\n", "").replace(
            "  fullName  String\n", "  nickname  String\n"))
    again = scan(root, catalog)  # a client is a nickname and a plan now: no email
    assert again.findings == scan(root, catalog, False).findings
    assert {f.categories for f in again.findings} == {("name",)}


def test_a_schema_is_lowered_once_then_read_from_the_cache_until_it_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    from flowscan.frontends import prisma

    root = write_project(tmp_path, monkeypatch, {
        "prisma/schema.prisma": SCHEMA, "src/db.ts": DB, "src/route.ts": ROUTE})
    lowered: list[str] = []
    real = prisma.lower_schema
    monkeypatch.setattr(prisma, "lower_schema",
                        lambda rel, text: lowered.append(rel) or real(rel, text))
    first = scan(root, catalog).findings
    (root / "src" / "route.ts").write_text(ROUTE + "\n// edited\n")
    assert scan(root, catalog).findings == first and first
    assert lowered == ["prisma/schema.prisma"]
    (root / "prisma" / "schema.prisma").write_text(SCHEMA.replace("fullName", "nickname"))
    assert scan(root, catalog).findings == scan(root, catalog, False).findings
    assert lowered == ["prisma/schema.prisma"] * 3  # (the scan without a cache: once more)


def test_a_relation_to_records_of_another_schema_file_is_no_field_of_a_person(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog) -> None:
    """`emails NotificationEmail[]` holds other records: it makes no Bounty a person,
    so a bounty's id and name stay clean (dub's multi-file schema)."""
    root = write_project(tmp_path, monkeypatch, {
        "prisma/schema/bounty.prisma": (
            "model Bounty {\n  id     String @id\n  name   String\n"
            "  emails NotificationEmail[]\n  program Program @relation(fields: [programId], "
            "references: [id])\n  programId String\n}\n"),
        "prisma/schema/notification.prisma": (
            "model NotificationEmail {\n  id    String @id\n  bountyId String\n"
            "  partner Partner @relation(fields: [partnerId], references: [id])\n"
            "  partnerId String\n}\n"
            "model Partner {\n  id    String @id\n  email String\n}\n"),
        "src/db.ts": DB,
        "src/route.ts": (
            "import { PostHog } from 'posthog-node';\nimport { prisma } from './db';\n"
            "const posthog = new PostHog('phc_key');\n"
            "export async function updated(id: string) {\n"
            "  const bounty = await prisma.bounty.findUniqueOrThrow({ where: { id } });\n"
            "  posthog.capture({ distinctId: 'ops', event: 'bounty',\n"
            "                    properties: { bountyId: bounty.id, title: bounty.name } });\n"
            "  const p = await prisma.partner.findFirstOrThrow({ where: { id } });\n"
            "  posthog.capture({ distinctId: 'ops', event: 'mail',\n"
            "                    properties: { to: p.email } });\n"
            "}\n")})
    found = {f.span.line: f.categories for f in scan(root, catalog, False).findings}
    assert found == {9: ("email",)}  # the partner's
