-- scored_runs
SELECT * EXCEPT (is_object, error, excerpt) FROM scored_records WHERE is_object
