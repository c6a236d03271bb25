/** A Markdown table that also reads well in a terminal: columns padded to their widest cell. */
export interface Column<Row> {
  title: string;
  value(row: Row): string;
  /** @default 'left' */
  align?: 'left' | 'right';
}

export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) => Math.max(column.title.length, 3, ...cells.map((line) => line[i].length)));
  const pad = (text: string, i: number) => (columns[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (values: string[]) => `| ${values.map(pad).join(' | ')} |`;
  const rule = `| ${columns.map((column, i) => (column.align === 'right' ? `${'-'.repeat(widths[i] - 1)}:` : '-'.repeat(widths[i]))).join(' | ')} |`;
  return [line(columns.map((c) => c.title)), rule, ...cells.map(line)].join('\n');
}
