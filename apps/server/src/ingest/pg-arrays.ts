/**
 * PostgreSQL array literals for the hot insert path, built with one `join` per column instead of
 * letting `pg` escape every element (tens of thousands per batch).
 *
 * `quotedTextArray` quotes every element, so words such as NULL stay strings; it does not escape,
 * so it is only for values that cannot hold `"` or `\`: device ids (checked against
 * DEVICE_ID_PATTERN from the topic), metric names (the catalogue) and uuids read from the database.
 */
export function quotedTextArray(values: readonly string[]): string {
  return values.length === 0 ? '{}' : `{"${values.join('","')}"}`;
}

/** Finite numbers only (the parser rejects NaN and Infinity): `{1,2.5,-3e-7}`. */
export function numberArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}

/** `{true,false}` */
export function boolArray(values: readonly boolean[]): string {
  return `{${values.join(',')}}`;
}

/** Characters a value must not contain to go through quotedTextArray unescaped. */
export function isSafeArrayText(value: string): boolean {
  return !/["\\]/.test(value);
}
