-- `distill-duck report`: rows refused by the safety gates (SPEC 12), by gate and exporter
-- (all runs). The gates are the quarantine reasons of distill_duck/safety.py, in the order
-- they run.
SELECT reason AS series, exporter AS label, count(*) AS value
FROM quarantine
WHERE list_contains({{ lit(gates.keys() | list) }}, reason)
GROUP BY reason, exporter
ORDER BY list_position({{ lit(gates.keys() | list) }}, reason), exporter
