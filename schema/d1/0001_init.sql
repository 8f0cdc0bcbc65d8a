-- Cross-tenant indexes. Written only through each tenant object's outbox.
CREATE TABLE IF NOT EXISTS tenants (
  slug TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  deleted_at INTEGER,
  user_count INTEGER NOT NULL DEFAULT 0,
  session_count INTEGER NOT NULL DEFAULT 0,
  next_alarm_at INTEGER
);
CREATE INDEX IF NOT EXISTS tenants_next_alarm ON tenants (next_alarm_at) WHERE deleted_at IS NULL;

CREATE TABLE IF NOT EXISTS user_directory (
  tenant TEXT NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT,
  username TEXT,
  status TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, user_id)
);
CREATE INDEX IF NOT EXISTS user_directory_email ON user_directory (email) WHERE email IS NOT NULL;
CREATE INDEX IF NOT EXISTS user_directory_username ON user_directory (username) WHERE username IS NOT NULL;
