// The test PostgreSQL (VOUCH_TEST_POSTGRES_URL, started by scripts/test.sh): each run works in a
// schema of its own, so runs neither see nor disturb each other. A missing URL is a failure.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_URL_MISSING = 'VOUCH_TEST_POSTGRES_URL is not set: start a throw-away server with '
  + '`export VOUCH_TEST_POSTGRES_URL=$(scripts/postgres.sh start)` (stop it with `scripts/postgres.sh stop`)';

/** `base` with every connection's search_path set to `schema`. */
export function withSearchPath(base: string, schema: string): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export interface TestSchema {
  schema: string;
  /** A storage URL whose tables live in the schema. */
  url: string;
  /** Rows of a query run in the schema. */
  query<R extends Record<string, unknown>>(sql: string): Promise<R[]>;
  drop(): Promise<void>;
}

/** Creates a fresh schema on the test server; throws (a failure, not a skip) without VOUCH_TEST_POSTGRES_URL. */
export async function freshSchema(prefix = 'vouch_test'): Promise<TestSchema> {
  const base = process.env.VOUCH_TEST_POSTGRES_URL;
  if (!base) throw new Error(POSTGRES_URL_MISSING);
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  const url = withSearchPath(base, schema);
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  return {
    schema,
    url,
    async query<R extends Record<string, unknown>>(sql: string) {
      return (await admin.query<R>(sql)).rows;
    },
    async drop() {
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
