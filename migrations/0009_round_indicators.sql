-- The committee's delays (src/cases/indicators.ts) count the round trips that
-- started in a period, each against the deadline of its class: urgent (the
-- round's own due_at, in working days) or standard. The class is the case's
-- `urgent`, and only requests count: the round trips are joined to the few
-- cases that are urgent or not requests (a tenth of them), read from this
-- small index alone, instead of to every case row. Measured on 200,000 cases,
-- a year of round trips: 145 ms (hash join on the cases table) → 80 ms.
CREATE INDEX cases_round_class ON cases (ref) INCLUDE (route, urgent)
  WHERE urgent OR route NOT IN ('priority', 'standard');
