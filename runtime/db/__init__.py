"""Database helpers: an adaptive connection pool, a query analyzer and a query-result cache."""
