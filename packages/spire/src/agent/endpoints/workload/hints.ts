/**
 * Workload API §5.2, §6.2: non-empty hints must be unique within a response. Of several items
 * with the same hint, SPIRE keeps the one of the oldest registration entry (smallest created-at,
 * then the earlier position); items with an empty hint are all kept. Order is preserved.
 */
export function withUniqueHints<T>(
  items: readonly T[],
  hintOf: (item: T) => string,
  createdAtOf: (item: T) => number,
): T[] {
  const keep = new Map<string, T>();
  for (const item of items) {
    const hint = hintOf(item);
    if (hint === '') continue;
    const held = keep.get(hint);
    if (held === undefined || createdAtOf(item) < createdAtOf(held)) keep.set(hint, item);
  }
  return items.filter((item) => {
    const hint = hintOf(item);
    return hint === '' || keep.get(hint) === item;
  });
}
