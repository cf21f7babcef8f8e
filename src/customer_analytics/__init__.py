"""customer_analytics: tooling around the dbt warehouse (raw data generator)."""
