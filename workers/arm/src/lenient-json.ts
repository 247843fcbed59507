// Resource Manager reads request bodies the way its JSON library does, which is more lenient than
// JSON.parse: `//` and `/* */` comments, unquoted property names and trailing commas. The Azure CLI
// depends on it: `az deployment group create` splices the template file's text, comments and all,
// into the body as `…, template: {…}}` to keep its whitespace (azure-cli resource/custom.py).
// Strict JSON takes the fast path; only text JSON.parse refuses is rewritten here, then parsed.

/** Rewrites JSONC-with-bare-keys into strict JSON, or returns null when it cannot be. */
export function toStrictJson(text: string): string | null {
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text[i]!;
    if (ch === '"') {
      // A string: copy through to its closing quote, escapes included.
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= n) return null;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) return null;
      i = end + 2;
    } else if (ch === ",") {
      // A trailing comma before } or ] (comments and whitespace between) is dropped.
      let j = i + 1;
      for (;;) {
        while (j < n && /\s/.test(text[j]!)) j++;
        if (text[j] === "/" && text[j + 1] === "/") {
          while (j < n && text[j] !== "\n") j++;
        } else if (text[j] === "/" && text[j + 1] === "*") {
          const end = text.indexOf("*/", j + 2);
          if (end < 0) return null;
          j = end + 2;
        } else break;
      }
      if (text[j] !== "}" && text[j] !== "]") out += ",";
      i++;
    } else if (/[A-Za-z_$]/.test(ch)) {
      // A bare word: a property name when a colon follows, else a literal (true, false, null).
      let j = i;
      while (j < n && /[A-Za-z0-9_$]/.test(text[j]!)) j++;
      const word = text.slice(i, j);
      let k = j;
      while (k < n && /\s/.test(text[k]!)) k++;
      out += text[k] === ":" ? JSON.stringify(word) : word;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
