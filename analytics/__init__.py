"""Storage analytics, the cost model, the reference corpus and the access-log audit."""
