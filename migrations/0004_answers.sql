-- From triage to the CAF's answer (issue 14): a case lives from `nouveau`
-- through `pris en charge` to `répondu`, then `clos`; a CDAS follow-up after
-- the answer opens another round trip. The lifecycle is computed from the
-- case's events (received, answers, follow-ups, closure), so the order in
-- which the pipeline learns of them does not change the result.

ALTER TABLE cases DROP CONSTRAINT cases_status;
DROP INDEX cases_open_by_route;
DROP INDEX cases_open_by_due;
ALTER TABLE cases RENAME COLUMN handled_at TO answered_at;
UPDATE cases SET status = CASE status
  WHEN 'open' THEN 'nouveau' WHEN 'handled' THEN 'répondu' ELSE 'enregistré' END;
ALTER TABLE cases ADD CONSTRAINT cases_status
  CHECK (status IN ('nouveau', 'pris en charge', 'répondu', 'clos', 'enregistré'));

ALTER TABLE cases
  -- Waiting for the CAF's answer: in a technicians' queue.
  ADD COLUMN awaiting boolean GENERATED ALWAYS AS (status IN ('nouveau', 'pris en charge')) STORED,
  -- sha256 of the request's Message-ID: a technician's answer names it in In-Reply-To.
  ADD COLUMN message_id_hash text,
  ADD COLUMN round_trips integer NOT NULL DEFAULT 1,
  -- When the current round trip began: the request, or the follow-up that reopened it.
  ADD COLUMN round_started_at timestamptz,
  ADD COLUMN first_answered_at timestamptz,
  -- The technician's work address that answered, and how the answer was seen.
  ADD COLUMN answered_by text,
  ADD COLUMN answer_channel text,
  ADD COLUMN assignee text,
  ADD COLUMN taken_at timestamptz,
  ADD COLUMN closed_at timestamptz,
  -- A person closed the case (not the automatic closing after the answer).
  ADD COLUMN closed_by text;

-- Cases answered from the dashboard before this version ("Marquer comme traité").
UPDATE cases SET
  message_id_hash = record ->> 'messageIdHash',
  round_started_at = received_at,
  first_answered_at = answered_at,
  answer_channel = CASE WHEN answered_at IS NOT NULL THEN 'dashboard' END,
  record = (record - 'handledAt') || jsonb_build_object(
    'status', status, 'answeredAt', record -> 'handledAt', 'firstAnsweredAt', record -> 'handledAt',
    'answerChannel', CASE WHEN answered_at IS NOT NULL THEN 'dashboard' END,
    'roundTrips', 1, 'roundStartedAt', record -> 'receivedAt');
ALTER TABLE cases ALTER COLUMN round_started_at SET NOT NULL;

CREATE INDEX cases_awaiting_by_route ON cases (route, received_at, ref) WHERE awaiting;
CREATE INDEX cases_awaiting_by_due ON cases (due_at) WHERE awaiting;
CREATE INDEX cases_by_message_id ON cases (message_id_hash) WHERE message_id_hash IS NOT NULL;
-- Automatic closing N days after the answer.
CREATE INDEX cases_answered ON cases (answered_at) WHERE status = 'répondu';

ALTER TABLE follow_ups ADD COLUMN message_id_hash text,
  -- It carried URGENCE DEFINIE: the request became urgent then, with an urgent deadline from it.
  ADD COLUMN urgent boolean NOT NULL DEFAULT false;
CREATE INDEX follow_ups_by_message_id ON follow_ups (message_id_hash) WHERE message_id_hash IS NOT NULL;

-- Every answer seen, of every round trip. `source_key` says what was seen, so
-- that seeing it again records nothing: the answer's Message-ID (hashed), or
-- the \Answered flag of one filed mail, or one dashboard action.
DROP TABLE answers;
CREATE TABLE answers (
  id bigserial PRIMARY KEY,
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  source_key text NOT NULL,
  answered_at timestamptz NOT NULL,
  channel text NOT NULL CHECK (channel IN ('sent-folder', 'answered-flag', 'dashboard')),
  answered_by text,
  message_id_hash text,
  -- The answering practices the answer missed ({rule, message}: advice for the
  -- technician, no text of the answer); null when its text was not read.
  findings jsonb,
  detected_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT answers_once UNIQUE (ref, source_key)
);
CREATE INDEX answers_by_ref ON answers (ref, answered_at);
CREATE INDEX answers_by_message_id ON answers (message_id_hash) WHERE message_id_hash IS NOT NULL;

-- The round trips of each case, rewritten with its lifecycle: what the
-- committee's delays and "one round trip per situation" are counted on.
CREATE TABLE case_rounds (
  ref text NOT NULL REFERENCES cases (ref) ON DELETE CASCADE,
  round integer NOT NULL,
  started_at timestamptz NOT NULL,
  due_at timestamptz,
  answered_at timestamptz,
  PRIMARY KEY (ref, round)
);
CREATE INDEX case_rounds_by_start ON case_rounds (started_at);
INSERT INTO case_rounds (ref, round, started_at, due_at, answered_at)
SELECT ref, 1, received_at, due_at, answered_at FROM cases WHERE route IN ('priority', 'standard');

-- Where the answer watcher stands in each folder it reads: the last UID read
-- (sent folders) or the last MODSEQ seen (filed folders, for \Answered).
CREATE TABLE answer_watch (
  path text PRIMARY KEY,
  uid_validity text NOT NULL,
  last_uid bigint NOT NULL DEFAULT 0,
  modseq text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

DROP INDEX cases_indicators;
CREATE INDEX cases_indicators ON cases (received_at)
  INCLUDE (route, urgent, urgency_check, multiple_situations, answered_at, due_at, cdas_name, motif,
           prestations, rules, unreadable, lint_errors, status, round_trips, first_answered_at);

-- Opening a case, as in 0002, with the lifecycle's columns.
CREATE OR REPLACE FUNCTION create_case(
  p_mailbox text,
  p_uid_validity text,
  p_uid bigint,
  p_content_hash text,
  p_received timestamptz,
  p_triaged timestamptz,
  p_cols jsonb,
  p_record jsonb,
  p_reply_wanted boolean,
  p_reply_intent boolean,
  p_reply_payload jsonb,
  p_folder text,
  p_flagged boolean
) RETURNS TABLE (outcome text, ref text, recovered boolean, reply_intent boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  v_ref text;
  v_year integer;
  v_seq integer;
  v_recovered boolean := false;
  v_record jsonb := p_record;
  v_reply boolean := false;
BEGIN
  SELECT m.ref INTO v_ref FROM case_mails m
  WHERE m.mailbox_id = p_mailbox AND m.uid_validity = p_uid_validity AND m.uid = p_uid;
  IF FOUND THEN
    RETURN QUERY SELECT 'existing'::text, v_ref, false, false;
    RETURN;
  END IF;

  SELECT c.ref INTO v_ref FROM case_contents c WHERE c.content_hash = p_content_hash;
  IF FOUND THEN
    INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
    VALUES (p_mailbox, p_uid_validity, p_uid, v_ref, 'duplicate');
    INSERT INTO filing_intents AS f (mailbox_id, uid_validity, uid, folder, flagged, own_ref, asked_at)
    VALUES (p_mailbox, p_uid_validity, p_uid, p_folder, p_flagged, NULL, now())
    ON CONFLICT (mailbox_id, uid_validity, uid) DO UPDATE
      SET folder = EXCLUDED.folder, flagged = EXCLUDED.flagged, asked_at = EXCLUDED.asked_at;
    RETURN QUERY SELECT 'duplicate'::text, v_ref, false, false;
    RETURN;
  END IF;

  IF p_reply_wanted THEN
    v_recovered := EXISTS (SELECT 1 FROM recovered_contents r
                           WHERE r.content_hash = p_content_hash AND r.until > now());
    IF v_recovered THEN
      v_record := v_record || '{"replySuppressed": "recovered"}'::jsonb;
    END IF;
  END IF;
  v_reply := p_reply_wanted AND p_reply_intent AND NOT v_recovered;

  v_year := extract(year FROM p_received AT TIME ZONE 'UTC')::integer;
  INSERT INTO ref_sequences AS s (year, last) VALUES (v_year, 1)
  ON CONFLICT (year) DO UPDATE SET last = s.last + 1
  RETURNING s.last INTO v_seq;
  v_ref := 'CDAP-' || v_year || '-' || lpad(v_seq::text, 6, '0');

  INSERT INTO cases (
    ref, year, seq, mailbox_id, uid_validity, uid, content_hash, received_at, triaged_at,
    route, status, kind, urgent, urgency_check, cdas_id, cdas_name, motif, prestations, rules,
    unreadable, multiple_situations, lint_errors, lint_warnings, backfill, due_at, answered_at,
    message_id_hash, round_started_at, record)
  VALUES (
    v_ref, v_year, v_seq, p_mailbox, p_uid_validity, p_uid, p_content_hash, p_received, p_triaged,
    p_cols ->> 'route', p_cols ->> 'status', p_cols ->> 'kind', (p_cols ->> 'urgent')::boolean,
    p_cols ->> 'urgency_check', p_cols ->> 'cdas_id', p_cols ->> 'cdas_name', p_cols ->> 'motif',
    ARRAY(SELECT jsonb_array_elements_text(p_cols -> 'prestations')),
    ARRAY(SELECT jsonb_array_elements_text(p_cols -> 'rules')),
    (p_cols ->> 'unreadable')::boolean, (p_cols ->> 'multiple_situations')::boolean,
    (p_cols ->> 'lint_errors')::integer, (p_cols ->> 'lint_warnings')::integer,
    (p_cols ->> 'backfill')::boolean, (p_cols ->> 'due_at')::timestamptz,
    NULL, p_cols ->> 'message_id_hash', p_received, v_record);
  INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
  VALUES (p_mailbox, p_uid_validity, p_uid, v_ref, 'own');
  INSERT INTO case_contents (content_hash, ref) VALUES (p_content_hash, v_ref);
  INSERT INTO filing_intents AS f (mailbox_id, uid_validity, uid, folder, flagged, own_ref, asked_at)
  VALUES (p_mailbox, p_uid_validity, p_uid, p_folder, p_flagged, v_ref, now())
  ON CONFLICT (mailbox_id, uid_validity, uid) DO UPDATE
    SET folder = EXCLUDED.folder, flagged = EXCLUDED.flagged, own_ref = EXCLUDED.own_ref,
        asked_at = EXCLUDED.asked_at;
  IF p_cols ->> 'route' IN ('priority', 'standard') THEN
    INSERT INTO case_rounds (ref, round, started_at, due_at)
    VALUES (v_ref, 1, p_received, (p_cols ->> 'due_at')::timestamptz);
    IF p_cols ->> 'status' = 'nouveau' THEN
      INSERT INTO outbox (ref, kind) VALUES (v_ref, 'work');
    END IF;
  END IF;
  IF v_reply THEN
    INSERT INTO outbox (ref, kind, payload) VALUES (v_ref, 'reply', p_reply_payload);
  END IF;
  RETURN QUERY SELECT 'created'::text, v_ref, v_recovered, v_reply;
END;
$$;
