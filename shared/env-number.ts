/**
 * A whole number from the environment within [min, max]; absent or blank gives the fallback. A bad value throws the
 * caller's error class (each setting's module has its own), naming the variable, the range and the value as given
 * (cut to 40 characters: a setting is not echoed whole into logs).
 */
export function wholeNumberFromEnv(
  env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number,
  error: new (message: string) => Error,
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new error(`${name} must be a whole number from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  return Number(raw);
}
