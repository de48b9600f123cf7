import { sql } from 'kysely';
import { maskPersonalData } from '../analysis/maskPersonalData.js';
import type { Database } from '../infra/database.js';

/**
 * Internal notes on a case, between technicians: never sent to the CDAS,
 * never logged, deleted with their case at retention (migrations/0007_case_notes.sql).
 * Numbers that look like a NIR or an allocataire number, mail addresses and
 * names after a civility word are masked before the note is written, as a
 * case's subject is.
 */
export interface CaseNote {
  id: number;
  author: string;
  /** The author's name from the accounts, when the login has one. */
  authorName: string | null;
  body: string;
  at: string;
}

export const NOTE_MAX = 4000;

/**
 * Adds a note and its audit event (action 'note', the note's id, never its
 * text) in one transaction. Null for an unknown case.
 */
export async function addNote(
  db: Database,
  ref: string,
  author: string,
  body: string,
): Promise<number | null> {
  const text = maskPersonalData(body.trim()).slice(0, NOTE_MAX);
  if (!text) throw new Error('empty note');
  return db.transaction().execute(async (tx) => {
    const r = await sql<{ id: number }>`INSERT INTO case_notes (ref, author, body)
      SELECT ref, ${author}, ${text} FROM cases WHERE ref = ${ref} RETURNING id`.execute(tx);
    const id = r.rows[0]?.id;
    if (id === undefined) return null;
    await sql`INSERT INTO audit_events (actor, action, ref, detail)
      VALUES (${author}, 'note', ${ref}, ${JSON.stringify({ note: id })}::jsonb)`.execute(tx);
    return id;
  });
}

/** A case's notes, oldest first. */
export async function notesOf(db: Database, ref: string): Promise<CaseNote[]> {
  const r = await sql<{ id: number; author: string; author_name: string | null; body: string; at: Date }>`
    SELECT n.id, n.author, u.display_name AS author_name, n.body, n.at
    FROM case_notes n LEFT JOIN users u ON u.login = n.author
    WHERE n.ref = ${ref} ORDER BY n.at, n.id`.execute(db);
  return r.rows.map((n) => ({
    id: n.id,
    author: n.author,
    authorName: n.author_name,
    body: n.body,
    at: n.at.toISOString(),
  }));
}
