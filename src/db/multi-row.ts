import type Database from 'better-sqlite3';

/**
 * Rows for one table gathered and inserted `rowsPerStatement` at a time by a
 * multi-row INSERT (bulk writers: `seed big`, the reports' figures), with an
 * optional `ON CONFLICT ...` clause after the values (applied row by row, as
 * SQLite does). `flush` inserts what is left and answers the rowid of the
 * last row inserted (0 when none).
 */
export class RowBuffer {
  private readonly rows: unknown[] = [];
  private readonly statements = new Map<number, Database.Statement>();
  private lastRowid = 0;

  constructor(
    private readonly sqlite: Database.Database,
    /** `INSERT INTO t (a, b, c)`: the VALUES are added here. */
    private readonly insertInto: string,
    private readonly columns: number,
    private readonly rowsPerStatement = 64,
    /** `ON CONFLICT (...) DO UPDATE ...`, or ''. */
    private readonly onConflict = '',
  ) {}

  push(...values: unknown[]): void {
    if (values.length !== this.columns) throw new Error(`RowBuffer: ${values.length} values for ${this.columns} columns`);
    this.rows.push(...values);
    if (this.rows.length >= this.columns * this.rowsPerStatement) this.insert(this.rowsPerStatement);
  }

  flush(): number {
    while (this.rows.length > 0) this.insert(Math.min(this.rowsPerStatement, this.rows.length / this.columns));
    return this.lastRowid;
  }

  private insert(rows: number): void {
    let statement = this.statements.get(rows);
    if (!statement) {
      const row = `(${Array.from({ length: this.columns }, () => '?').join(', ')})`;
      statement = this.sqlite.prepare(`${this.insertInto} VALUES ${Array.from({ length: rows }, () => row).join(', ')} ${this.onConflict}`);
      this.statements.set(rows, statement);
    }
    this.lastRowid = Number(statement.run(this.rows.splice(0, rows * this.columns)).lastInsertRowid);
  }
}
