import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CorpusEntry {
  id: string;
  title: string;
  expectation: 'positive' | 'negative' | 'lenient' | 'uncertain';
  text: string;
}

/** Reads test/language/corpus/claim-rule-corpus.md (a copy of shared/reference/claim-rule-corpus.md). */
export function loadCorpus(): CorpusEntry[] {
  const path = fileURLToPath(new URL('./corpus/claim-rule-corpus.md', import.meta.url));
  const md = readFileSync(path, 'utf8');
  const entries: CorpusEntry[] = [];
  for (const section of md.split(/^## /m).slice(1)) {
    const head = /^(R\d+) — (.*)$/m.exec(section);
    const exp = /\*\*Expectation:\*\* `(\w+)`/.exec(section);
    const body = /^````text\n([\s\S]*?)\n````$/m.exec(section);
    if (!head || !exp || !body) throw new Error(`corpus section not understood: ${section.slice(0, 40)}`);
    entries.push({ id: head[1]!, title: head[2]!, expectation: exp[1] as CorpusEntry['expectation'], text: body[1]! });
  }
  return entries;
}
