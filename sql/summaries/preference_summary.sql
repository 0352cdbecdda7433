-- The preference run summary (SPEC section 11): the common counts over candidate pairs,
-- plus the task and skip counts.
{% from 'macros/summary.sql' import summary %}
SELECT s.*,
    (SELECT count(DISTINCT task_id) FROM preference_decisions WHERE outcome = 'exported')
        AS task_ids_with_pairs,
    (SELECT count(DISTINCT evidence_task_id) FROM preference_records)
        - (SELECT count(DISTINCT task_id) FROM preference_candidates) AS insufficient_pair_task_ids,
    (SELECT count(*) FROM scored_records) - (SELECT count(*) FROM preference_records) AS records_skipped
FROM ({{ summary('preference', 'preference_decisions') }}) AS s
