-- The records of cdap-triage (issue 13). Applied in the schema named by
-- database.schema (the connection's search_path), under Kysely's advisory lock.
-- No column holds a NIR, an allocataire number, a name or a postal address:
-- subjects are masked before they are written, Message-IDs are hashed.

-- One case per request. The columns are what lists, indicators and retention
-- filter and count on; `record` is the whole case as the pipeline reads it.
CREATE TABLE cases (
  ref text PRIMARY KEY,
  year integer NOT NULL,
  seq integer NOT NULL,
  mailbox_id text NOT NULL,
  uid_validity text NOT NULL,
  uid bigint NOT NULL,
  content_hash text NOT NULL,
  received_at timestamptz NOT NULL,
  triaged_at timestamptz NOT NULL,
  route text NOT NULL,
  status text NOT NULL,
  kind text NOT NULL,
  urgent boolean NOT NULL,
  urgency_check text,
  cdas_id text,
  cdas_name text,
  motif text NOT NULL,
  prestations text[] NOT NULL,
  rules text[] NOT NULL,
  unreadable boolean NOT NULL,
  multiple_situations boolean NOT NULL,
  lint_errors integer NOT NULL,
  lint_warnings integer NOT NULL,
  backfill boolean NOT NULL,
  due_at timestamptz,
  handled_at timestamptz,
  record jsonb NOT NULL,
  -- What became of the automatic reply (ReplyState); null until the replies stage looked.
  reply_state jsonb,
  reply_status text GENERATED ALWAYS AS (reply_state ->> 'status') STORED,
  -- Where the case's own mail was filed (for reprocess and refiling).
  filed_path text,
  filed_uid_validity text,
  filed_uid bigint,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cases_year_seq UNIQUE (year, seq),
  CONSTRAINT cases_route CHECK (route IN ('priority', 'standard', 'quarantine', 'ignored')),
  CONSTRAINT cases_status CHECK (status IN ('open', 'handled', 'recorded'))
);
-- The technicians' lists: open cases of a queue, oldest first.
CREATE INDEX cases_open_by_route ON cases (route, received_at, ref) WHERE status = 'open';
-- Overdue counts.
CREATE INDEX cases_open_by_due ON cases (due_at) WHERE status = 'open';
-- Indicators over a period, retention.
CREATE INDEX cases_by_received ON cases (received_at);
CREATE INDEX cases_by_cdas ON cases (cdas_id, received_at);

-- Every place in the mailbox that holds mail of a case: its own mail, a second
-- copy of the same bytes (duplicate), a follow-up. Unique: one mail, one case.
CREATE TABLE case_mails (
  mailbox_id text NOT NULL,
  uid_validity text NOT NULL,
  uid bigint NOT NULL,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('own', 'duplicate', 'follow-up')),
  PRIMARY KEY (mailbox_id, uid_validity, uid)
);
CREATE INDEX case_mails_by_ref ON case_mails (ref);

-- The bytes of each mail seen (sha256): the same mail under another UID is recognised.
CREATE TABLE case_contents (
  content_hash text PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE
);
CREATE INDEX case_contents_by_ref ON case_contents (ref);

-- Later mails of the same request, in order of reception.
CREATE TABLE follow_ups (
  id bigserial PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  received_at timestamptz NOT NULL,
  mailbox_id text NOT NULL,
  uid_validity text NOT NULL,
  uid bigint NOT NULL,
  content_hash text NOT NULL UNIQUE
);
CREATE INDEX follow_ups_by_ref ON follow_ups (ref, received_at);

-- The yearly reference sequence (CDAP-2026-000123): one row per year, locked
-- by the transaction that takes the next number, so numbers are never reused.
CREATE TABLE ref_sequences (
  year integer PRIMARY KEY,
  last integer NOT NULL
);

-- Moves of mail out of the inbox asked for by triage (written with the case),
-- done and deleted by the mailbox's intake.
CREATE TABLE filing_intents (
  mailbox_id text NOT NULL,
  uid_validity text NOT NULL,
  uid bigint NOT NULL,
  folder text NOT NULL,
  flagged boolean NOT NULL,
  own_ref text,
  asked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mailbox_id, uid_validity, uid)
);

-- The transactional outbox: what must happen in Redis (a work item in the
-- technicians' queue, the reply job) once the case is committed. A work intent
-- is deleted once dispatched; a reply intent stays until the reply's outcome
-- is final, so a reply job lost with Redis data is dispatched again.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('work', 'reply')),
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  dispatched_at timestamptz,
  CONSTRAINT outbox_one_per_kind UNIQUE (ref, kind)
);
CREATE INDEX outbox_due ON outbox (dispatched_at NULLS FIRST, created_at);

-- Which case a mail filed at this place belongs to (the filed-mail reconciliation).
CREATE TABLE located_mails (
  path text NOT NULL,
  uid_validity text NOT NULL,
  uid bigint NOT NULL,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  PRIMARY KEY (path, uid_validity, uid)
);
CREATE INDEX located_mails_by_ref ON located_mails (ref);

-- Mail put back in the inbox because its case was lost: not answered automatically.
CREATE TABLE recovered_contents (
  content_hash text PRIMARY KEY,
  until timestamptz NOT NULL
);

-- Facts about the store itself (its epoch: when it began).
CREATE TABLE store_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

-- Named accounts (the technicians' workspace issue). Password hashes only.
CREATE TABLE users (
  id bigserial PRIMARY KEY,
  login text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL CHECK (role IN ('technicien', 'superviseur', 'administrateur', 'comite')),
  password_hash text,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Who did what on which case, when. Kept with its case (deleted with it at retention).
CREATE TABLE audit_events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  ref text REFERENCES cases (ref) ON DELETE CASCADE,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_by_ref ON audit_events (ref, at);
CREATE INDEX audit_events_by_at ON audit_events (at);

-- The CAF's answers to a case (the answer-tracking issue): when, through which channel.
CREATE TABLE answers (
  id bigserial PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  answered_at timestamptz NOT NULL,
  channel text NOT NULL,
  message_id_hash text,
  detected_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT answers_once UNIQUE (ref, message_id_hash)
);
CREATE INDEX answers_by_ref ON answers (ref, answered_at);

-- Anonymous monthly aggregates of cases deleted by retention, so that a
-- committee can still compare years: counts only, no reference.
CREATE TABLE monthly_indicators (
  month date PRIMARY KEY,
  counts jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
