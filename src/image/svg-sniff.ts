/**
 * Recognises SVG by its text: an optional byte-order mark, then any mix of whitespace, the XML
 * declaration, processing instructions, comments and a DOCTYPE, then an `<svg` element.
 * Only the start of the body is looked at.
 */

const SNIFF_BYTES = 4096;

export function looksLikeSvg(bytes: Uint8Array): boolean {
  const text = decodeStart(bytes);
  if (text === undefined) return false;
  let rest = text;
  for (;;) {
    rest = rest.trimStart();
    if (rest.startsWith("<?")) {
      const end = rest.indexOf("?>");
      if (end < 0) return false;
      rest = rest.slice(end + 2);
    } else if (rest.startsWith("<!--")) {
      const end = rest.indexOf("-->", 4);
      if (end < 0) return false;
      rest = rest.slice(end + 3);
    } else if (/^<!DOCTYPE\s/i.test(rest)) {
      const end = endOfDoctype(rest);
      if (end < 0) return false;
      rest = rest.slice(end + 1);
    } else {
      return /^<(?:[A-Za-z_][\w.-]*:)?svg[\s/>]/.test(rest);
    }
  }
}

/** The first few KB as text, following a UTF-16 byte-order mark if there is one. */
function decodeStart(bytes: Uint8Array): string | undefined {
  const start = bytes.subarray(0, SNIFF_BYTES);
  if (start[0] === 0xff && start[1] === 0xfe) return new TextDecoder("utf-16le").decode(start);
  if (start[0] === 0xfe && start[1] === 0xff) return new TextDecoder("utf-16be").decode(start);
  // Binary formats are detected before this; a NUL this early means it is not XML text.
  if (start.includes(0)) return undefined;
  return new TextDecoder("utf-8").decode(start).replace(/^\uFEFF/, "");
}

/** Index of the `>` closing a DOCTYPE, skipping an internal subset in `[...]`; -1 if absent. */
function endOfDoctype(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === ">" && depth <= 0) return i;
  }
  return -1;
}
