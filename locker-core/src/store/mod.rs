//! Storage backends: SQLite and PostgreSQL.
