-- dataset_llamafactory_preference
SELECT split, id, prompt AS messages, chosen[0] AS chosen, rejected[0] AS rejected FROM dataset_preference
