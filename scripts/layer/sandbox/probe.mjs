/**
 * Copied into the sandbox's task directory (as .sandbox-probe.mjs) beside the handler, so that
 * what it resolves and imports, it resolves from where the handler is.
 */

/** Where `specifier` resolves from the task directory: `{ url }`, or `{ error: { code, message } }`. */
export function resolveFromTask(specifier) {
  try {
    return { url: import.meta.resolve(specifier) };
  } catch (error) {
    return { error: { code: error?.code, message: String(error?.message ?? error) } };
  }
}

/** For each name: is it exported by both modules, as the very same value (one class, not two copies)? */
export async function sameExports([first, second], names) {
  const [a, b] = await Promise.all([import(first), import(second)]);
  return Object.fromEntries(names.map((name) => [name, a[name] !== undefined && a[name] === b[name]]));
}

/** What `specifier` exports, name to `typeof` value, imported from the task directory. */
export async function exportTypes(specifier) {
  const module = await import(specifier);
  return Object.fromEntries(Object.keys(module).map((name) => [name, typeof module[name]]));
}
