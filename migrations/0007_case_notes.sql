-- The technicians' workspace (issue 15), work views and notes.

-- Internal notes on a case, written by technicians for their colleagues: never
-- sent to the CDAS, never logged. They go with their case at retention.
-- Numbers that look like a NIR or an allocataire number are masked before they
-- are written (like a case's subject).
CREATE TABLE case_notes (
  id bigserial PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  author text NOT NULL,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_notes_by_ref ON case_notes (ref, at);

-- "Mes dossiers" and the assignee filter.
CREATE INDEX cases_by_assignee ON cases (assignee, received_at) WHERE assignee IS NOT NULL;
-- The benefit filter (prestations @> ARRAY['RSA']).
CREATE INDEX cases_by_prestation ON cases USING gin (prestations);
-- "À examiner": quarantined mail, and mail that could not be read.
CREATE INDEX cases_to_review ON cases (received_at) WHERE route = 'quarantine' OR unreadable;
-- The whole list ("Tous"), newest first.
CREATE INDEX cases_by_received_desc ON cases (received_at DESC, ref DESC);

-- Search by words of the (masked) subject: a trigram index serves ILIKE '%mot%'
-- when pg_trgm is installed on the server (PostgreSQL's contrib, trusted since
-- PostgreSQL 13). Without it the same search reads the rows: slower, same answers.
DO $$
DECLARE
  trgm_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      -- In public, the search path's fallback: one extension for every schema of the database.
      CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
      RAISE NOTICE 'pg_trgm not installed (%): subject search without its index', SQLERRM;
    END;
  END IF;
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX cases_subject_trgm ON cases USING gin ((record ->> %L) %I.gin_trgm_ops)',
      'subject', trgm_schema);
  END IF;
END
$$;
