/**
 * One modify call built from the settings that differ: `set(field, wanted, current)` adds the field when
 * the wanted value is given and differs; `result()` is the call's input and the fields it applies, or
 * undefined when nothing differs. Shared by the instance and the cluster modification after a restore.
 */
export function modificationOf<I extends object>(input: I) {
  const applied: string[] = [];
  const set = <K extends keyof I>(field: K, value: I[K], current: unknown) => {
    if (value === undefined || JSON.stringify(value) === JSON.stringify(current)) return;
    input[field] = value;
    applied.push(String(field));
  };
  return { set, result: () => (applied.length ? { input, applied } : undefined) };
}
