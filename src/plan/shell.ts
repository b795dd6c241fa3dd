/** Quote one word for a POSIX shell; plain words stay readable. */
export function quote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from words, each quoted as needed. */
export const sh = (...words: string[]): string => words.map(quote).join(" ");
