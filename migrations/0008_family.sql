-- The family's history (issue 15). A case keeps, in its record, the keyed
-- hashes (HMAC-SHA256 with CDAP_FAMILY_KEY) of the allocataire numbers and
-- NIRs its request names, never the numbers: cases sharing one are about the
-- same family. The column below reads them out of the record for the index.

CREATE FUNCTION cdap_family_keys(record jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(ARRAY(SELECT jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(record -> 'familyKeys') = 'array' THEN record -> 'familyKeys' ELSE '[]'::jsonb END)),
    '{}')
$$;

ALTER TABLE cases ADD COLUMN family_keys text[] GENERATED ALWAYS AS (cdap_family_keys(record)) STORED;
CREATE INDEX cases_by_family ON cases USING gin (family_keys);
