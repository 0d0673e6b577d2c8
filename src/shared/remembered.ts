/** Entries a `remembered` map keeps: any client picks its address or Host, so each map is bounded. */
const MAX_REMEMBERED = 1024;

/** `compute(key)`, remembered in `map`; the map is emptied when full. */
export function remembered(map: Map<string, string>, key: string, compute: (key: string) => string): string {
  let value = map.get(key);
  if (value === undefined) {
    value = compute(key);
    if (map.size >= MAX_REMEMBERED) map.clear();
    map.set(key, value);
  }
  return value;
}
