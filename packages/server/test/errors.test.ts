import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ServerError, serverErrors } from '../src/index.js';

it('declares every server code once, with a meaning and an HTTP error status that ServerError answers with', () => {
  expect(serverErrors.packageName).toBe('@mlops/server');
  for (const code of serverErrors.codes) {
    const spec = serverErrors.entries[code];
    expect(code).toMatch(/^MLOPS_SRV_ERR_[A-Z0-9_]+$/);
    expect(spec.meaning.length).toBeGreaterThan(10);
    expect(spec.status).toBeGreaterThanOrEqual(400);
    expect(spec.status).toBeLessThan(600);
    const error = new ServerError(code, 'm');
    expect(error.statusCode).toBe(spec.status);
    expect(error.code).toBe(code);
  }
});

it("lists exactly the catalogue's codes and statuses in the README's error table", () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| (\d{3}) \| `(MLOPS_SRV_ERR_[A-Z0-9_]+)` \|/gm)].map(
    ([, status, code]) => [code, Number(status)],
  );
  expect(Object.fromEntries(rows)).toEqual(
    Object.fromEntries(serverErrors.codes.map((code) => [code, serverErrors.entries[code].status])),
  );
});
