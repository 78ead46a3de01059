/**
 * .NET regular expressions (what AD FS runs for =~, !~ and RegexReplace) to JavaScript, exactly or
 * not at all: every construct either keeps its meaning or is reported with its offset in the pattern.
 *
 * Kept as is: groups, (?:, lookarounds, named groups (?<n>...), \d \w \s \b (ASCII in JS, Unicode in
 * .NET: claim values are ASCII in practice), quantifiers, backreferences.
 * Rewritten exactly: a leading (?i)/(?m)/(?s) (also after '^') -> flags; a mid-pattern (?i) at top
 * level when nothing before it is case-sensitive -> i flag; '.' -> [^\n] (.NET dot excludes only \n);
 * '$' -> end or before a final \n (.NET meaning); \e -> \x1B; a leading ']' in a class -> \]; numbered
 * references renumbered when named and unnamed groups mix (.NET numbers named groups last).
 * Rejected: (?>...), (?'n'...), (?(...)), (?#...), balancing groups, scoped or mid-pattern options that
 * cannot be hoisted, (?x)/(?n)/(?-i), \A \Z \z \G, \k'n', class subtraction [a-z-[aeiou]].
 */
export interface TranslatedRegex {
  ok: true;
  source: string;
  flags: string;
  /** .NET group number -> JavaScript group number (index 0 = whole match) */
  dotnetToJs: readonly number[];
  groupNames: ReadonlySet<string>;
}

export interface RegexProblem {
  ok: false;
  code: 'DG_LANG_REGEX_INVALID' | 'DG_LANG_REGEX_UNSUPPORTED';
  message: string;
  /** offset inside the pattern text */
  offset: number;
  length: number;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function unsupported(message: string, offset: number, length: number): RegexProblem {
  return { ok: false, code: 'DG_LANG_REGEX_UNSUPPORTED', message, offset, length };
}

export function translateRegex(pattern: string): TranslatedRegex | RegexProblem {
  const flags = new Set<string>();
  let i = 0;
  let out = '';
  const lead = /^(\^?)\(\?([A-Za-z-]+)\)/.exec(pattern);
  if (lead) {
    for (const [k, ch] of [...lead[2]!].entries()) {
      const at = lead[1]!.length + 2 + k;
      if (ch === 'i' || ch === 'm' || ch === 's') flags.add(ch);
      else if (ch === '-') return unsupported(`inline option '(?-...)' (turning options off) has no JavaScript equivalent`, at, 1);
      else if (ch === 'x' || ch === 'n') return unsupported(`inline option '${ch}' has no JavaScript equivalent`, at, 1);
      else return { ok: false, code: 'DG_LANG_REGEX_INVALID', message: `unknown inline option '${ch}'`, offset: at, length: 1 };
    }
    out = lead[1]!;
    i = lead[0].length;
  }
  const groups: { name?: string }[] = [];
  const groupNames = new Set<string>();
  let depth = 0;
  let inClass = false;
  let classStart = -1;
  let caseSensitiveBefore = false; // something before the current point whose meaning depends on case
  let numericBackref = false;
  let needUnicode = false;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) return { ok: false, code: 'DG_LANG_REGEX_INVALID', message: 'pattern ends with a lone backslash', offset: i, length: 1 };
      if (!inClass && (e === 'A' || e === 'Z' || e === 'z' || e === 'G')) {
        return unsupported(`'\\${e}' has no exact JavaScript equivalent here; use '^' or '$'`, i, 2);
      }
      if (e === 'k' && pattern[i + 2] === "'") return unsupported(`'\\k'name'' is .NET-only; use \\k<name>`, i, 3);
      if (e === 'e') {
        out += '\\x1B';
        i += 2;
        continue;
      }
      if (e === 'p' || e === 'P') needUnicode = true;
      if (/[1-9]/.test(e) && !inClass) numericBackref = true;
      if (/[A-Za-z]/.test(e) && !'dDwWsSbBtnrfv0123456789'.includes(e)) caseSensitiveBefore = true;
      out += c + e;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']' && !(i === classStart + 1 || (i === classStart + 2 && pattern[classStart + 1] === '^'))) {
        inClass = false;
        out += c;
      } else if (c === ']') {
        out += '\\]';
      } else if (c === '-' && pattern[i + 1] === '[' && i > classStart + 1) {
        return unsupported('character-class subtraction [a-z-[...]] has no JavaScript equivalent', i, 2);
      } else {
        if (/[A-Za-z]/.test(c)) caseSensitiveBefore = true;
        out += c;
      }
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = i;
      out += c;
      i++;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') {
        groups.push({});
        depth++;
        out += c;
        i++;
        continue;
      }
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(':') || rest.startsWith('=') || rest.startsWith('!') || rest.startsWith('<=') || rest.startsWith('<!')) {
        const len = rest.startsWith('<') ? 4 : 3;
        out += pattern.slice(i, i + len);
        depth++;
        i += len;
        continue;
      }
      if (rest.startsWith('<')) {
        const close = rest.indexOf('>');
        const name = close < 0 ? '' : rest.slice(1, close);
        if (name.includes('-')) return unsupported('balancing groups (?<a-b>...) have no JavaScript equivalent', i, close + 3);
        if (!NAME.test(name)) return unsupported(`group name '${name}' is not usable in JavaScript (letters, digits and _; not starting with a digit)`, i, Math.max(3, close + 3));
        groups.push({ name });
        groupNames.add(name);
        out += `(?<${name}>`;
        depth++;
        i += close + 3;
        continue;
      }
      if (rest.startsWith("'")) return unsupported(`named group syntax (?'name'...) is .NET-only; use (?<name>...)`, i, 3);
      if (rest.startsWith('>')) return unsupported('atomic groups (?>...) have no JavaScript equivalent', i, 3);
      if (rest.startsWith('(')) return unsupported('conditional groups (?(...)...) have no JavaScript equivalent', i, 3);
      if (rest.startsWith('#')) return unsupported('inline comments (?#...) are not supported', i, 3);
      const opts = /^([A-Za-z-]+)([:)])/.exec(rest);
      if (opts) {
        const len = opts[0].length + 2;
        if (opts[2] === ':') return unsupported(`scoped inline options (?${opts[1]}:...) have no JavaScript equivalent in Node 20`, i, len);
        if (opts[1] === 'i' && depth === 0 && !caseSensitiveBefore) {
          flags.add('i');
          i += len;
          continue;
        }
        return unsupported(`inline option (?${opts[1]}) in the middle of the pattern cannot be translated safely; put (?i) at the start`, i, len);
      }
      return { ok: false, code: 'DG_LANG_REGEX_INVALID', message: `unrecognized group construct '(?${rest.slice(0, 1)}'`, offset: i, length: 3 };
    }
    if (c === ')') depth--;
    if (c === '.') {
      out += flags.has('s') ? '[\\s\\S]' : '[^\\n]';
      i++;
      continue;
    }
    if (c === '$') {
      out += flags.has('m') ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
      i++;
      continue;
    }
    if (c === '^' && flags.has('m')) {
      out += '(?:(?<![\\s\\S])|(?<=\\n))';
      i++;
      continue;
    }
    if (/[A-Za-z]/.test(c)) caseSensitiveBefore = true;
    out += c;
    i++;
  }
  // .NET numbers unnamed groups first, then named ones; JavaScript numbers all in order of appearance.
  const dotnetToJs = [0];
  groups.forEach((g, k) => { if (!g.name) dotnetToJs.push(k + 1); });
  groups.forEach((g, k) => { if (g.name) dotnetToJs.push(k + 1); });
  if (numericBackref && dotnetToJs.some((js, net) => js !== net)) {
    return unsupported('numbered backreferences in a pattern that mixes named and unnamed groups are not supported', 0, n);
  }
  const jsFlags = [...flags].filter((f) => f !== 'm' && f !== 's').join('') + (needUnicode ? 'u' : '');
  try {
    new RegExp(out, jsFlags);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : String(error);
    return { ok: false, code: 'DG_LANG_REGEX_INVALID', message: `invalid regular expression: ${message}`, offset: 0, length: n };
  }
  return { ok: true, source: out, flags: jsFlags, dotnetToJs, groupNames };
}

/** A .NET Regex.Replace replacement string to a JavaScript replacement template. */
export function translateReplacement(replacement: string, regex: TranslatedRegex): { ok: true; template: string } | RegexProblem {
  let out = '';
  const n = replacement.length;
  const groupRef = (net: number): string | undefined => {
    if (net === 0) return '$&';
    const js = regex.dotnetToJs[net];
    return js === undefined ? undefined : `$${String(js).padStart(2, '0')}`;
  };
  for (let i = 0; i < n; i++) {
    const c = replacement[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const e = replacement[i + 1];
    if (e === '$') {
      out += '$$';
      i++;
    } else if (e === '{') {
      const close = replacement.indexOf('}', i + 2);
      const name = close < 0 ? undefined : replacement.slice(i + 2, close);
      if (name !== undefined && /^\d+$/.test(name) && groupRef(Number(name)) !== undefined) {
        out += groupRef(Number(name))!;
        i = close;
      } else if (name !== undefined && regex.groupNames.has(name)) {
        out += `$<${name}>`;
        i = close;
      } else {
        out += '$$'; // .NET leaves an unknown ${...} as literal text
      }
    } else if (e !== undefined && /\d/.test(e)) {
      let j = i + 1;
      while (j < n && /\d/.test(replacement[j]!)) j++;
      // .NET takes the longest digit run that names an existing group
      let k = j;
      while (k > i + 1 && groupRef(Number(replacement.slice(i + 1, k))) === undefined) k--;
      if (k === i + 1) {
        out += '$$';
      } else {
        const ref = groupRef(Number(replacement.slice(i + 1, k)))!;
        if (ref.length > 3 && ref !== '$&') return unsupported('group numbers above 99 are not supported in replacements', i, k - i);
        out += ref;
        i = k - 1;
      }
    } else if (e === '&' || e === '`' || e === "'") {
      out += `$${e}`;
      i++;
    } else if (e === '+' || e === '_') {
      return unsupported(`replacement '$${e}' is .NET-only`, i, 2);
    } else {
      out += '$$';
    }
  }
  return { ok: true, template: out };
}
