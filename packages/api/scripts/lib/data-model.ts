import { is, SQL } from 'drizzle-orm';
import {
  getTableConfig,
  SQLiteBaseInteger,
  SQLiteBlobJson,
  SQLiteBoolean,
  type SQLiteColumn,
  SQLiteSyncDialect,
  SQLiteTable,
  SQLiteTextJson,
  SQLiteTimestamp,
} from 'drizzle-orm/sqlite-core';
import type { TableNotes } from './data-model-notes';

/**
 * Renders the generated half of docs/data-model.md from the Drizzle schema plus the hand-written
 * notes in data-model-notes.ts. Pure (no fs) so the CLI and the drift test share one code path.
 */

export type NotesByTable = Readonly<Record<string, TableNotes>>;

/** The blocks of docs/data-model.md this module owns; everything outside them is hand-written. */
export const GENERATED_BLOCKS = ['summary', 'tables'] as const;
export type GeneratedBlockName = (typeof GENERATED_BLOCKS)[number];
export type GeneratedBlocks = Record<GeneratedBlockName, string>;

/** The notes key that overrides the default purpose of a table's primary key. */
export const PRIMARY_KEY_NOTE = 'PRIMARY KEY';

const NOTES_FILE = 'packages/api/scripts/lib/data-model-notes.ts';

export function beginMarker(block: GeneratedBlockName): string {
  return `<!-- BEGIN GENERATED: ${block} (npm run docs:data-model) -->`;
}

export function endMarker(block: GeneratedBlockName): string {
  return `<!-- END GENERATED: ${block} -->`;
}

/** Every Drizzle SQLite table among a module's exports (the schema barrel also exports types and enums). */
export function findSchemaTables(moduleExports: Readonly<Record<string, unknown>>): SQLiteTable[] {
  return Object.values(moduleExports).filter((value): value is SQLiteTable =>
    is(value, SQLiteTable),
  );
}

/** Rewrites what sits between each pair of markers and leaves the hand-written rest untouched. */
export function spliceGeneratedBlocks(document: string, blocks: GeneratedBlocks): string {
  let result = document;
  for (const block of GENERATED_BLOCKS) {
    const begin = beginMarker(block);
    const end = endMarker(block);
    const start = result.indexOf(begin);
    const stop = result.indexOf(end);
    if (start === -1 || stop === -1 || stop < start) {
      throw new Error(
        `docs/data-model.md needs the markers "${begin}" and "${end}", in that order`,
      );
    }
    if (result.indexOf(begin, start + 1) !== -1 || result.indexOf(end, stop + 1) !== -1) {
      throw new Error(`docs/data-model.md has the "${block}" markers more than once`);
    }
    result = `${result.slice(0, start + begin.length)}\n${blocks[block]}\n${result.slice(stop)}`;
  }
  return result;
}

/** The whole document as the generator would write it, given the current file's contents. */
export function renderDataModelDocument(
  document: string,
  tables: readonly SQLiteTable[],
  notes: NotesByTable,
): string {
  return spliceGeneratedBlocks(document, renderGeneratedBlocks(tables, notes));
}

export function renderGeneratedBlocks(
  tables: readonly SQLiteTable[],
  notes: NotesByTable,
): GeneratedBlocks {
  const models = buildModels(tables, notes);
  return { summary: renderSummary(models), tables: renderTables(models) };
}

// ---------------------------------------------------------------------------------------------
// Model: what the schema says, joined with the notes and checked for gaps.

type TableConfig = ReturnType<typeof getTableConfig>;

interface Reference {
  table: string;
  columns: string[];
  onDelete: string | undefined;
}

interface IndexRow {
  name: string;
  columns: string;
  purpose: string;
}

interface TableModel {
  name: string;
  config: TableConfig;
  notes: TableNotes;
  indexes: IndexRow[];
  parents: Reference[];
  children: Reference[];
}

function buildModels(tables: readonly SQLiteTable[], notes: NotesByTable): TableModel[] {
  const configs = tables.map((table) => getTableConfig(table));
  const problems: string[] = [];
  const names = new Set<string>();
  for (const config of configs) {
    if (names.has(config.name)) problems.push(`table \`${config.name}\` is exported twice`);
    names.add(config.name);
  }
  for (const name of Object.keys(notes)) {
    if (!names.has(name)) problems.push(`notes describe table \`${name}\`, which the schema lacks`);
  }

  const models: TableModel[] = [];
  for (const config of configs) {
    const tableNotes = notes[config.name];
    if (!tableNotes) {
      problems.push(
        `table \`${config.name}\` has no notes (purpose, rows, access patterns, indexes)`,
      );
      continue;
    }
    problems.push(...checkTableNotes(config, tableNotes, names));
    models.push({
      name: config.name,
      config,
      notes: tableNotes,
      indexes: indexRows(config, tableNotes, problems),
      parents: config.foreignKeys.map(toReference),
      children: [],
    });
  }
  if (problems.length > 0) {
    throw new Error(
      `docs/data-model.md cannot be generated; fix ${NOTES_FILE}:\n- ${problems.join('\n- ')}`,
    );
  }

  // The notes' key order is the document's order: domains read better than the alphabet.
  const order = Object.keys(notes);
  models.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  for (const child of models) {
    for (const reference of child.parents) {
      models
        .find((model) => model.name === reference.table)
        ?.children.push({ ...reference, table: child.name });
    }
  }
  return models;
}

function checkTableNotes(config: TableConfig, notes: TableNotes, tables: Set<string>): string[] {
  const problems: string[] = [];
  const where = `table \`${config.name}\``;
  if (notes.purpose.trim() === '') problems.push(`${where} has an empty purpose`);
  if (notes.rowsEstimate.trim() === '') problems.push(`${where} has no rows estimate`);
  if (notes.accessPatterns.length === 0) problems.push(`${where} has no access patterns`);
  const columns = new Set(config.columns.map((column) => column.name));
  for (const column of Object.keys(notes.columns ?? {})) {
    if (!columns.has(column)) problems.push(`${where} has a note for unknown column \`${column}\``);
  }
  for (const reference of notes.softReferences ?? []) {
    if (!columns.has(reference.column)) {
      problems.push(`${where} has a soft reference from unknown column \`${reference.column}\``);
    }
    if (!tables.has(reference.table)) {
      problems.push(`${where} has a soft reference to unknown table \`${reference.table}\``);
    }
  }
  return problems;
}

function toReference(foreignKey: TableConfig['foreignKeys'][number]): Reference {
  const reference = foreignKey.reference();
  return {
    table: getTableConfig(reference.foreignTable).name,
    columns: reference.columns.map((column) => column.name),
    onDelete: foreignKey.onDelete,
  };
}

/** Primary key, unique constraints and indexes; a named one without a purpose is a problem. */
function indexRows(config: TableConfig, notes: TableNotes, problems: string[]): IndexRow[] {
  const rows: IndexRow[] = [];
  const described = new Set<string>();
  const purposeOf = (name: string): string => {
    described.add(name);
    const purpose = notes.indexes[name];
    if (purpose === undefined || purpose.trim() === '') {
      problems.push(`index \`${name}\` of table \`${config.name}\` has no purpose`);
      return '';
    }
    return purpose;
  };

  const primary = primaryKey(config);
  if (primary) {
    described.add(PRIMARY_KEY_NOTE);
    rows.push({
      name: primary.name ? `${primary.name} (PRIMARY KEY)` : PRIMARY_KEY_NOTE,
      columns: `(${primary.columns.join(', ')})`,
      purpose: notes.indexes[PRIMARY_KEY_NOTE] ?? defaultPrimaryKeyPurpose(primary.columns, config),
    });
  }
  for (const column of config.columns) {
    if (!column.isUnique) continue;
    // drizzle-kit names a column-level UNIQUE `<table>_<column>_unique`; Drizzle fills uniqueName.
    const name = column.uniqueName ?? `${config.name}_${column.name}_unique`;
    rows.push({ name, columns: `UNIQUE (${column.name})`, purpose: purposeOf(name) });
  }
  for (const constraint of config.uniqueConstraints) {
    const columns = constraint.columns.map((column) => column.name);
    const name = constraint.getName() ?? `${config.name}_${columns.join('_')}_unique`;
    rows.push({ name, columns: `UNIQUE (${columns.join(', ')})`, purpose: purposeOf(name) });
  }
  for (const index of config.indexes) {
    const { name, unique, where } = index.config;
    const columns = index.config.columns.map((column) =>
      is(column, SQL) ? renderSql(column) : column.name,
    );
    const partial = where ? ` WHERE ${renderSql(where)}` : '';
    rows.push({
      name,
      columns: `${unique ? 'UNIQUE ' : ''}(${columns.join(', ')})${partial}`,
      purpose: purposeOf(name),
    });
  }

  for (const name of Object.keys(notes.indexes)) {
    if (!described.has(name)) {
      problems.push(`notes describe index \`${name}\`, which table \`${config.name}\` lacks`);
    }
  }
  return rows;
}

function primaryKey(config: TableConfig): { name?: string; columns: string[] } | undefined {
  const composite = config.primaryKeys[0];
  if (composite) {
    return { name: composite.getName(), columns: composite.columns.map((column) => column.name) };
  }
  const columns = config.columns.filter((column) => column.primary).map((column) => column.name);
  return columns.length > 0 ? { columns } : undefined;
}

function defaultPrimaryKeyPurpose(columns: string[], config: TableConfig): string {
  const [only] = columns;
  const column = config.columns.find((candidate) => candidate.name === only);
  // SQLite stores an INTEGER PRIMARY KEY as the rowid itself: there is no second b-tree to pay for.
  if (columns.length === 1 && column?.getSQLType() === 'integer') {
    return 'Row identity (rowid alias, no separate index)';
  }
  return `Identity: point lookups by ${columns.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Markdown.

function renderSummary(models: readonly TableModel[]): string {
  const lines = [
    '## Tables Summary',
    '',
    '| Table | Purpose | Rows Est. | Key Relationships |',
    '|-------|---------|-----------|-------------------|',
  ];
  for (const model of models) {
    lines.push(
      row([
        `[${model.name}](#table-${model.name})`,
        model.notes.purpose,
        model.notes.rowsEstimate,
        keyRelationships(model) || '-',
      ]),
    );
  }
  return lines.join('\n');
}

function keyRelationships(model: TableModel): string {
  const arrows = [
    ...model.parents.map((reference) => `→ ${reference.table}`),
    ...(model.notes.softReferences ?? []).map((reference) => `⇢ ${reference.table}`),
    ...model.children.map((reference) => `← ${reference.table}`),
  ];
  return [...new Set(arrows)].join(', ');
}

function renderTables(models: readonly TableModel[]): string {
  const sections = models.map(renderTable);
  return ['## D1 Tables', '', sections.join('\n\n---\n\n')].join('\n');
}

function renderTable(model: TableModel): string {
  const { config, notes } = model;
  const lines = [
    `### Table: ${model.name}`,
    '',
    `**Purpose**: ${notes.purpose}`,
    '',
    '**Schema**:',
    '| Column | Type | Nullable | Default | Notes |',
    '|--------|------|----------|---------|-------|',
    ...config.columns.map((column) =>
      row([
        column.name,
        column.getSQLType().toUpperCase(),
        column.notNull ? 'No' : 'Yes',
        renderDefault(column),
        columnNotes(column, model).join('; ') || '-',
      ]),
    ),
    '',
    '**Indexes**:',
    '| Name | Columns | Purpose |',
    '|------|---------|---------|',
    ...model.indexes.map((index) => row([index.name, `\`${index.columns}\``, index.purpose])),
  ];
  if (config.checks.length > 0) {
    lines.push('', '**Constraints**:');
    for (const check of config.checks) {
      lines.push(`- \`${check.name}\`: \`CHECK (${renderSql(check.value)})\``);
    }
  }
  lines.push(
    '',
    '**Access Patterns**:',
    '| Operation | Query | Frequency |',
    '|-----------|-------|-----------|',
    ...notes.accessPatterns.map((pattern) =>
      row([pattern.operation, `\`${pattern.query}\``, pattern.frequency]),
    ),
    '',
    '**Relationships**:',
    ...relationshipLines(model),
  );
  return lines.join('\n');
}

function relationshipLines(model: TableModel): string[] {
  const lines = [
    ...model.parents.map((reference) => `- → ${describeReference(reference)}`),
    ...(model.notes.softReferences ?? []).map(
      (reference) =>
        `- ⇢ ${reference.table} (${reference.column}), no foreign key: ${reference.why}`,
    ),
    ...model.children.map((reference) => `- ← ${describeReference(reference)}`),
  ];
  return lines.length > 0 ? lines : ['- None'];
}

function describeReference(reference: Reference): string {
  return `${reference.table} (${reference.columns.join(', ')})${onDeleteSuffix(reference.onDelete)}`;
}

function onDeleteSuffix(onDelete: string | undefined): string {
  // `no action` is SQLite's default; only an explicit cascade or set null changes what a delete does.
  return onDelete && onDelete !== 'no action' ? ` ON DELETE ${onDelete.toUpperCase()}` : '';
}

function columnNotes(column: SQLiteColumn, model: TableModel): string[] {
  const { config } = model;
  const notes: string[] = [];
  const composite = config.primaryKeys.find((key) =>
    key.columns.some((member) => member.name === column.name),
  );
  if (column.primary) notes.push('PK');
  if (composite) notes.push(`PK (${composite.columns.map((member) => member.name).join(', ')})`);
  if (is(column, SQLiteBaseInteger) && column.autoIncrement) notes.push('AUTOINCREMENT');
  if (column.isUnique) notes.push('unique');
  for (const foreignKey of config.foreignKeys) {
    const reference = foreignKey.reference();
    const from = reference.columns.map((member) => member.name);
    if (!from.includes(column.name)) continue;
    const parent = getTableConfig(reference.foreignTable).name;
    const to = reference.foreignColumns.map((member) => member.name);
    const target =
      from.length === 1
        ? `${parent}.${to.join('')}`
        : `${parent} (${to.join(', ')}) via (${from.join(', ')})`;
    notes.push(`FK → ${target}${onDeleteSuffix(foreignKey.onDelete)}`);
  }
  const enumValues: readonly string[] | undefined = column.enumValues;
  if (enumValues && enumValues.length > 0) notes.push(`one of: ${enumValues.join(', ')}`);
  if (is(column, SQLiteTimestamp)) {
    notes.push(column.mode === 'timestamp_ms' ? 'ms timestamp' : 's timestamp');
  }
  if (is(column, SQLiteTextJson) || is(column, SQLiteBlobJson)) notes.push('json');
  if (is(column, SQLiteBoolean)) notes.push('boolean');
  if (column.onUpdateFn)
    notes.push(is(column, SQLiteTimestamp) ? 'app: now() on update' : 'app on update');
  const handWritten = model.notes.columns?.[column.name];
  if (handWritten) notes.push(handWritten);
  return notes;
}

function renderDefault(column: SQLiteColumn): string {
  const value: unknown = column.default;
  if (value !== undefined) {
    return is(value, SQL) ? `(${renderSql(value)})` : renderLiteral(value);
  }
  // $defaultFn runs in the Worker, not in SQLite: raw SQL inserts must supply the value.
  if (column.defaultFn) return is(column, SQLiteTimestamp) ? 'app: now()' : 'app';
  return '-';
}

function renderLiteral(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Date) return String(value.getTime());
  if (value === null) return 'NULL';
  return `'${JSON.stringify(value)}'`;
}

const dialect = new SQLiteSyncDialect();

/** A WHERE clause, CHECK or index expression as it reads in SQL, without table prefixes. */
function renderSql(fragment: SQL): string {
  // The 'indexes' mode leaves column names unqualified, as they read inside CREATE INDEX.
  const { sql: text, params } = dialect.sqlToQuery(fragment, 'indexes');
  let next = 0;
  return text
    .replace(/\?/g, () => renderLiteral(params[next++]))
    .replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, '$1');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

function escapeCell(cell: string): string {
  return cell.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}
