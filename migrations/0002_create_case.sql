-- Opening a case in one round trip (issue 13, backlog throughput): what
-- CaseStore.createCase did in a dozen statements, as one function called in
-- its own transaction. Same rules: a mail place has one case (case_mails),
-- the same bytes under another place are a duplicate filed beside the first
-- (case_contents), the yearly sequence row is locked until commit, the filing
-- intent and the outbox intents are written with the case.
CREATE OR REPLACE FUNCTION create_case(
  p_mailbox text,
  p_uid_validity text,
  p_uid bigint,
  p_content_hash text,
  p_received timestamptz,
  p_triaged timestamptz,
  p_cols jsonb,
  p_record jsonb,
  -- The case asks for a reply and nothing holds it back yet.
  p_reply_wanted boolean,
  -- This deployment sends replies: write the reply intent.
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
    -- Its first case was lost: whether it was answered is unknown, and
    -- answering twice is worse than a technician answering.
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
    unreadable, multiple_situations, lint_errors, lint_warnings, backfill, due_at, handled_at, record)
  VALUES (
    v_ref, v_year, v_seq, p_mailbox, p_uid_validity, p_uid, p_content_hash, p_received, p_triaged,
    p_cols ->> 'route', p_cols ->> 'status', p_cols ->> 'kind', (p_cols ->> 'urgent')::boolean,
    p_cols ->> 'urgency_check', p_cols ->> 'cdas_id', p_cols ->> 'cdas_name', p_cols ->> 'motif',
    ARRAY(SELECT jsonb_array_elements_text(p_cols -> 'prestations')),
    ARRAY(SELECT jsonb_array_elements_text(p_cols -> 'rules')),
    (p_cols ->> 'unreadable')::boolean, (p_cols ->> 'multiple_situations')::boolean,
    (p_cols ->> 'lint_errors')::integer, (p_cols ->> 'lint_warnings')::integer,
    (p_cols ->> 'backfill')::boolean, (p_cols ->> 'due_at')::timestamptz,
    (p_cols ->> 'handled_at')::timestamptz, v_record);
  INSERT INTO case_mails (mailbox_id, uid_validity, uid, ref, role)
  VALUES (p_mailbox, p_uid_validity, p_uid, v_ref, 'own');
  INSERT INTO case_contents (content_hash, ref) VALUES (p_content_hash, v_ref);
  INSERT INTO filing_intents AS f (mailbox_id, uid_validity, uid, folder, flagged, own_ref, asked_at)
  VALUES (p_mailbox, p_uid_validity, p_uid, p_folder, p_flagged, v_ref, now())
  ON CONFLICT (mailbox_id, uid_validity, uid) DO UPDATE
    SET folder = EXCLUDED.folder, flagged = EXCLUDED.flagged, own_ref = EXCLUDED.own_ref,
        asked_at = EXCLUDED.asked_at;
  IF p_cols ->> 'status' = 'open' AND p_cols ->> 'route' IN ('priority', 'standard') THEN
    INSERT INTO outbox (ref, kind) VALUES (v_ref, 'work');
  END IF;
  IF v_reply THEN
    INSERT INTO outbox (ref, kind, payload) VALUES (v_ref, 'reply', p_reply_payload);
  END IF;
  RETURN QUERY SELECT 'created'::text, v_ref, v_recovered, v_reply;
END;
$$;
