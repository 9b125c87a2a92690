/**
 * A small JSON Schema checker for the subset schema/state.schema.json uses: type,
 * enum, const, pattern, properties, required, additionalProperties: false, items,
 * anyOf, $ref to #/$defs/... Returns the list of problems (empty = valid).
 */
type Schema = { readonly [k: string]: unknown };

export function checkSchema(root: Schema, value: unknown, schema: Schema = root, path = '$'): string[] {
  const out: string[] = [];
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/$defs/', '');
    const defs = root.$defs as Record<string, Schema>;
    if (defs[name] === undefined) return [`${path}: unknown $ref ${ref}`];
    out.push(...checkSchema(root, value, defs[name], path));
  }
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Schema[]).some((s) => checkSchema(root, value, s, path).length === 0);
    if (!ok) out.push(`${path}: matches none of anyOf`);
  }
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) out.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in enum`);
  const t = schema.type;
  if (typeof t === 'string') {
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const fits = t === actual || (t === 'integer' && typeof value === 'number' && Number.isInteger(value)) || (t === 'number' && typeof value === 'number');
    if (!fits) return [...out, `${path}: expected ${t}, got ${actual}`];
  }
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) out.push(`${path}: '${value}' does not match ${schema.pattern}`);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in o)) out.push(`${path}: missing '${r}'`);
    for (const [k, v] of Object.entries(o)) {
      if (props[k] !== undefined) out.push(...checkSchema(root, v, props[k], `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unexpected property '${k}'`);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((v, i) => out.push(...checkSchema(root, v, schema.items as Schema, `${path}[${i}]`)));
  return out;
}
