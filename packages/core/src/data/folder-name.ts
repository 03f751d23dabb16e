/**
 * Class labels become folder names in dataset trees; labels such as `T-shirt/top` hold
 * characters no filesystem accepts in a name.
 */

/** A filesystem-safe folder name for a label: path separators and reserved characters become `_`. */
export function toFolderName(label: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip.
  const name = label.replace(/[/\\:*?"<>|\u0000-\u001f]/g, '_').replace(/[. ]+$/, '');
  return name === '' || name === '.' || name === '..' ? '_' : name;
}

/**
 * Folder names for labels, one per label, distinct even on case-insensitive filesystems
 * (`Cat` and `cat` become `Cat` and `cat-2`).
 */
export function uniqueFolderNames(labels: readonly string[]): string[] {
  const taken = new Set<string>();
  return labels.map((label) => {
    const base = toFolderName(label);
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    taken.add(name.toLowerCase());
    return name;
  });
}
