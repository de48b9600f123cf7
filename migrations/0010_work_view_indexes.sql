-- The work views (issue 15) on a large store: the CDAS filter's list read by
-- a loose index scan (caseSearch.ts, cdasNames), one probe per CDAS.
CREATE INDEX cases_by_cdas_name ON cases (cdas_name) WHERE cdas_name IS NOT NULL;
