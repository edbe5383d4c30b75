/**
 * The three desktop platforms Appwacht runs on, without zod: for code on a start-up path that must not load the
 * schemas (`appwacht scan`). common.ts builds the `OsName` schema from this list.
 */
export const OS_NAMES = ['windows', 'macos', 'linux'] as const;

export function isOsName(value: string): value is (typeof OS_NAMES)[number] {
  return (OS_NAMES as readonly string[]).includes(value);
}
