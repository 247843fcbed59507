// .NET DateTime formatting (invariant culture, UTC) for utcNow([format]).

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const STANDARD: Record<string, string> = {
  d: "MM/dd/yyyy",
  D: "dddd, dd MMMM yyyy",
  f: "dddd, dd MMMM yyyy HH:mm",
  F: "dddd, dd MMMM yyyy HH:mm:ss",
  g: "MM/dd/yyyy HH:mm",
  G: "MM/dd/yyyy HH:mm:ss",
  m: "MMMM dd",
  M: "MMMM dd",
  o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'",
  O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff'Z'",
  r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  t: "HH:mm",
  T: "HH:mm:ss",
  u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
  U: "dddd, dd MMMM yyyy HH:mm:ss",
  y: "yyyy MMMM",
  Y: "yyyy MMMM",
};

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Formats a UTC instant with a .NET standard ("u", "o", …) or custom ("yyyyMMddTHHmmssZ") format. */
export function formatUtc(date: Date, format: string): string {
  const pattern = format.length === 1 ? (STANDARD[format] ?? format) : format;
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "'" || c === '"') {
      const end = pattern.indexOf(c, i + 1);
      out += pattern.slice(i + 1, end < 0 ? pattern.length : end);
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    if (c === "\\") {
      out += pattern[i + 1] ?? "";
      i += 2;
      continue;
    }
    let run = 1;
    while (pattern[i + run] === c) run++;
    i += run;
    switch (c) {
      case "y":
        out += run === 2 ? pad(date.getUTCFullYear() % 100, 2) : run === 1 ? String(date.getUTCFullYear() % 100) : pad(date.getUTCFullYear(), run);
        break;
      case "M":
        out += run >= 4 ? MONTHS[date.getUTCMonth()] : run === 3 ? MONTHS[date.getUTCMonth()]!.slice(0, 3) : pad(date.getUTCMonth() + 1, run);
        break;
      case "d":
        out += run >= 4 ? DAYS[date.getUTCDay()] : run === 3 ? DAYS[date.getUTCDay()]!.slice(0, 3) : pad(date.getUTCDate(), run);
        break;
      case "H":
        out += pad(date.getUTCHours(), Math.min(run, 2));
        break;
      case "h":
        out += pad(date.getUTCHours() % 12 || 12, Math.min(run, 2));
        break;
      case "m":
        out += pad(date.getUTCMinutes(), Math.min(run, 2));
        break;
      case "s":
        out += pad(date.getUTCSeconds(), Math.min(run, 2));
        break;
      case "f":
      case "F": {
        const digits = `${pad(date.getUTCMilliseconds(), 3)}0000`.slice(0, Math.min(run, 7));
        out += c === "F" ? digits.replace(/0+$/, "") : digits;
        break;
      }
      case "t":
        out += (date.getUTCHours() < 12 ? "AM" : "PM").slice(0, run === 1 ? 1 : 2);
        break;
      case "K":
        out += "Z";
        break;
      case "z":
        out += run === 1 ? "+0" : run === 2 ? "+00" : "+00:00";
        break;
      default:
        out += c.repeat(run);
    }
  }
  return out;
}
