// Text layout that must match docker's byte for byte: natural ordering of tags and signer
// names (as github.com/fvbommel/sortorder orders them) and Go's text/tabwriter alignment.

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Natural order: runs of digits compare by numeric value (then by fewer leading zeros), everything
 * else byte-wise, and a digit sorts before a non-digit. Returns true when a sorts before b.
 */
export function naturalLess(a: string, b: string): boolean {
  return naturalLessBytes(byteView(a), byteView(b));
}

/**
 * The string naturalLessBytes compares: the string itself for ASCII (every tag and signer name),
 * otherwise a latin1 view of its UTF-8 encoding (one code unit per byte). Worth computing once per
 * string when sorting many.
 */
export function byteView(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** naturalLess over byteView()s. */
export function naturalLessBytes(s1: string, s2: string): boolean {
  let i = 0;
  let j = 0;
  while (i < s1.length && j < s2.length) {
    const c1 = s1.charCodeAt(i);
    const c2 = s2.charCodeAt(j);
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++; j++;
      continue;
    }
    while (i < s1.length && s1.charCodeAt(i) === 0x30) i++;
    while (j < s2.length && s2.charCodeAt(j) === 0x30) j++;
    const start1 = i;
    const start2 = j;
    while (i < s1.length && isDigit(s1.charCodeAt(i))) i++;
    while (j < s2.length && isDigit(s2.charCodeAt(j))) j++;
    const len1 = i - start1;
    const len2 = j - start2;
    if (len1 !== len2) return len1 < len2;
    for (let k = 0; k < len1; k++) {
      const x = s1.charCodeAt(start1 + k);
      const y = s2.charCodeAt(start2 + k);
      if (x !== y) return x < y;
    }
    if (start1 !== start2) return start1 < start2;
  }
  return s1.length - i < s2.length - j;
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * For strings of printable ASCII from '!' up where every run of digits has no leading zero (a lone
 * "0" is fine) — every docker tag without zero-padded numbers — a key whose plain code unit order
 * is naturalLess's order: each digit run becomes \x01, its length, its digits (so it sorts before
 * any other character, then by value); a lone "0" has no significant digits. Otherwise undefined:
 * compare with naturalLess.
 */
export function naturalKey(s: string): string | undefined {
  let out = '';
  let plain = 0; // start of the text not yet copied to out
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) {
      if (c < 0x21 || c > 0x7e) return undefined;
      i++;
      continue;
    }
    let j = i + 1;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    if (c === 0x30 && j > i + 1) return undefined; // zero-padded
    out += s.slice(plain, i) + (c === 0x30 ? '\u0001\u0000' : '\u0001' + String.fromCharCode(j - i) + s.slice(i, j));
    plain = i = j;
  }
  return plain === 0 ? s : out + s.slice(plain);
}

export function naturalCompare(a: string, b: string): number {
  if (a === b) return 0;
  return naturalCompareBytes(byteView(a), byteView(b));
}

/** naturalCompare over byteView()s. */
export function naturalCompareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return naturalLessBytes(a, b) ? -1 : naturalLessBytes(b, a) ? 1 : 0;
}

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
