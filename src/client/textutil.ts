// Text layout that must match docker's byte for byte: Go's text/tabwriter alignment (natural
// ordering of tags and signer names lives in tuf/tags.ts).

/**
 * Go's text/tabwriter with flags 0 and padchar ' ': tab-terminated cells are aligned in column
 * blocks (consecutive lines that have the cell), each column as wide as its widest cell plus
 * padding, and at least minwidth. Text after a line's last tab is not aligned.
 */
export function tabwrite(text: string, minwidth: number, padding: number): string {
  const rawLines = text.split('\n');
  const trailingNewline = rawLines[rawLines.length - 1] === '';
  if (trailingNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split('\t'));
  const widthOf = (s: string): number => [...s].length;
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      const cells = lines[k] as string[];
      let s = '';
      cells.forEach((cell, col) => {
        if (col < widths.length && col < cells.length - 1) s += cell + ' '.repeat(Math.max(0, (widths[col] as number) - widthOf(cell)));
        else s += cell;
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let k = line0; k < line1; k++) {
      if (column >= (lines[k] as string[]).length - 1) continue;
      writeLines(start, k);
      let width = minwidth;
      let end = k;
      for (; end < line1; end++) {
        const cells = lines[end] as string[];
        if (column >= cells.length - 1) break;
        width = Math.max(width, widthOf(cells[column] as string) + padding);
      }
      widths.push(width);
      format(k, end);
      widths.pop();
      start = end;
      k = end - 1;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('\n') + (trailingNewline ? '\n' : '');
}
