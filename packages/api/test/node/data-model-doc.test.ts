import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getTableConfig, index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import {
  beginMarker,
  endMarker,
  findSchemaTables,
  type GeneratedBlocks,
  renderDataModelDocument,
  renderGeneratedBlocks,
  spliceGeneratedBlocks,
} from '../../scripts/lib/data-model';
import { TABLE_NOTES, type TableNotes } from '../../scripts/lib/data-model-notes';
import * as schema from '../../src/db/schema';

const docPath = fileURLToPath(new URL('../../../../docs/data-model.md', import.meta.url));
const committed = readFileSync(docPath, 'utf8');
const tables = findSchemaTables(schema);

const widgetNotes: TableNotes = {
  purpose: 'A table that exists only in this test.',
  rowsEstimate: '0',
  accessPatterns: [{ operation: 'Read', query: 'WHERE id = ?', frequency: 'Never' }],
  indexes: { widgets_name_idx: 'Lookup by name' },
};
const widgets = sqliteTable(
  'widgets',
  { id: text('id').primaryKey(), name: text('name').notNull() },
  (t) => [index('widgets_name_idx').on(t.name)],
);

describe('docs/data-model.md', () => {
  it('matches what the generator produces from the schema', () => {
    expect(
      renderDataModelDocument(committed, tables, TABLE_NOTES),
      'docs/data-model.md is stale: run `npm run docs:data-model` and commit the result',
    ).toBe(committed);
  });

  it('has a section for every table of the schema', () => {
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      expect(committed).toContain(`\n### Table: ${getTableConfig(table).name}\n`);
    }
  });

  it('keeps the hand-written sections in the order of seed 002', () => {
    const headings = committed.split('\n').filter((line) => /^#{1,2} /.test(line));
    expect(headings).toEqual([
      '# Data Model',
      '## Tables Summary',
      '## Conventions and seed mapping',
      '## D1 Tables',
      '## R2 Storage',
      '## KV Namespaces',
      '## Queue Messages',
      '## Durable Objects',
      '## Data Flow Diagram',
      '## Recommendations',
    ]);
  });
});

describe('data-model generator', () => {
  it('refuses a table without notes, naming it', () => {
    expect(() => renderGeneratedBlocks([...tables, widgets], TABLE_NOTES)).toThrow(
      /table `widgets` has no notes/,
    );
  });

  it('refuses an index without a purpose', () => {
    const notes = { ...TABLE_NOTES, widgets: { ...widgetNotes, indexes: {} } };
    expect(() => renderGeneratedBlocks([...tables, widgets], notes)).toThrow(
      /index `widgets_name_idx` of table `widgets` has no purpose/,
    );
  });

  it('refuses notes for a table or an index the schema no longer has', () => {
    const staleIndex = {
      ...widgetNotes,
      indexes: { ...widgetNotes.indexes, widgets_old_idx: 'x' },
    };
    expect(() =>
      renderGeneratedBlocks([...tables, widgets], { ...TABLE_NOTES, widgets: staleIndex }),
    ).toThrow(/notes describe index `widgets_old_idx`/);
    expect(() => renderGeneratedBlocks(tables, { ...TABLE_NOTES, widgets: widgetNotes })).toThrow(
      /notes describe table `widgets`, which the schema lacks/,
    );
  });

  it('documents a new table once it has notes', () => {
    const { tables: rendered } = renderGeneratedBlocks([...tables, widgets], {
      ...TABLE_NOTES,
      widgets: widgetNotes,
    });
    expect(rendered).toContain('### Table: widgets\n');
    expect(rendered).toContain('| widgets_name_idx | `(name)` | Lookup by name |');
  });

  it('rewrites only what sits between the markers', () => {
    const blocks: GeneratedBlocks = { summary: 'NEW SUMMARY', tables: 'NEW TABLES' };
    const document = [
      'intro',
      beginMarker('summary'),
      'old summary',
      endMarker('summary'),
      'hand-written',
      beginMarker('tables'),
      endMarker('tables'),
      'outro',
    ].join('\n');
    expect(spliceGeneratedBlocks(document, blocks)).toBe(
      [
        'intro',
        beginMarker('summary'),
        'NEW SUMMARY',
        endMarker('summary'),
        'hand-written',
        beginMarker('tables'),
        'NEW TABLES',
        endMarker('tables'),
        'outro',
      ].join('\n'),
    );
    expect(() => spliceGeneratedBlocks('no markers', blocks)).toThrow(/needs the markers/);
  });
});
