-- preference_chosen_rejected
SELECT row_json AS jsonl FROM preference_decisions WHERE outcome = 'exported' ORDER BY group_first NULLS LAST, slot NULLS LAST
