import { readFile } from 'node:fs/promises';

/** A file's bytes, or undefined when it (or a folder on its path) does not exist; other errors throw. */
export async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}
