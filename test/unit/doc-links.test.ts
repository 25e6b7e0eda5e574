/**
 * The README is a short first screen that links into docs/, examples/ and the scripts' own
 * READMEs: every relative link of every Markdown file in the checkout must reach a file, and
 * every `#anchor` a heading of that file (as GitHub names headings), or a reader meets a 404.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Folders of installed, generated or downloaded files: not ours to check. */
const SKIPPED = new Set(['node_modules', '.build', 'dist', '.git', 'coverage', '.local-stack']);

function markdownFiles(folder = ''): string[] {
  return readdirSync(path.join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : markdownFiles(file);
    return entry.name.endsWith('.md') ? [file] : [];
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replaceAll(' ', '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** `file: target` for each relative link of `markdown` (the text of `file`) that reaches no file or no heading. */
function brokenLinks(file: string, markdown = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
  return targets
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .filter((target) => {
      const [linked, anchor] = target.split('#') as [string, string | undefined];
      const resolved = linked === '' ? file : path.join(path.dirname(file), linked);
      if (!existsSync(path.join(ROOT, resolved))) return true;
      if (anchor === undefined || !resolved.endsWith('.md')) return false;
      const headings = linked === '' ? markdown : readFileSync(path.join(ROOT, resolved), 'utf8');
      return !headingAnchors(headings).has(anchor);
    })
    .map((target) => `${file}: ${target}`);
}

describe('Markdown links', () => {
  it('names headings as GitHub does', () => {
    const anchors = headingAnchors(
      '# Chaos: what breaks, and what still works\n## `withSharedToken(h)`\n## Soak\n## Soak\n',
    );

    expect([...anchors]).toEqual([
      'chaos-what-breaks-and-what-still-works',
      'withsharedtokenh',
      'soak',
      'soak-1',
    ]);
  });

  it('finds a missing file and a missing heading, so the check below can fail', () => {
    const markdown =
      '[a](docs/secret.md) [b](docs/no-such.md) [c](README.md#no-such-heading) [d](#here) [e](https://x)\n# Here\n';

    expect(brokenLinks('README.md', markdown)).toEqual([
      'README.md: docs/no-such.md',
      'README.md: README.md#no-such-heading',
    ]);
  });

  it('reach a file and a heading from every Markdown file of the checkout', () => {
    const files = markdownFiles();

    expect(files).toContain('README.md');
    expect(files.flatMap((file) => brokenLinks(file))).toEqual([]);
  });
});
