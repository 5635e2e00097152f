"""SQL migrations, applied in numeric order (see migrate.py). Add yours as 0002_name.sql, ..."""
