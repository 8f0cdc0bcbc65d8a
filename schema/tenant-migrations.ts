/**
 * @module The tenant object's SQLite schema as an ordered list of migrations. The object
 * stores the number applied in `schema_version` and applies the rest, in one transaction,
 * when it starts. Append only: never edit a migration that has shipped.
 * Every table and what is hashed or sealed is described in schema/STORAGE.md.
 */

export const TENANT_MIGRATIONS: readonly string[] = [
  // 1: the whole initial schema
  `
  CREATE TABLE settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
  );

  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT,
    email TEXT,
    username_norm TEXT UNIQUE,
    email_norm TEXT UNIQUE,
    email_verified INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    secret TEXT NOT NULL,
    secret_version INTEGER NOT NULL DEFAULT 1,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE INDEX users_deleted ON users (deleted_at) WHERE deleted_at IS NOT NULL;

  CREATE TABLE credentials (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_refreshed_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    idle_expires_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    amr TEXT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    revoked_at INTEGER,
    revoke_reason TEXT
  );
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE INDEX sessions_due ON sessions (due_at) WHERE revoked_at IS NULL;
  CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

  CREATE TABLE refresh_tokens (
    hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    rotated_at INTEGER
  );
  CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id, issued_at);

  CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_jwk TEXT,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
  );

  CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
  );

  CREATE TABLE roles (
    name TEXT PRIMARY KEY,
    description TEXT,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE memberships (
    user_id TEXT NOT NULL,
    role TEXT NOT NULL REFERENCES roles(name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, role)
  );

  CREATE TABLE mfa_totp (
    user_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER
  );
  CREATE TABLE recovery_codes (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at INTEGER
  );
  CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

  CREATE TABLE one_time_tokens (
    hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT,
    email TEXT,
    data TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER
  );
  CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

  CREATE TABLE attempts (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX attempts_updated ON attempts (updated_at);

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX events_created ON events (created_at);

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    type TEXT NOT NULL,
    user_id TEXT,
    session_id TEXT,
    actor TEXT,
    ip TEXT,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_user ON audit_log (user_id, id);
  CREATE INDEX audit_type ON audit_log (type, id);
  CREATE INDEX audit_ts ON audit_log (ts);

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
  );
  CREATE INDEX outbox_due ON outbox (next_attempt_at);
  `,
  // 2: refresh tokens keyed by (session_id, hash) in one B-tree, not a rowid table with two
  // indexes: every lookup knows the session (it is the token's prefix), and a refresh writes
  // one tree instead of three
  `
  CREATE TABLE refresh_tokens_v2 (
    session_id TEXT NOT NULL,
    hash TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    rotated_at INTEGER,
    PRIMARY KEY (session_id, hash)
  ) WITHOUT ROWID;
  INSERT INTO refresh_tokens_v2 (session_id, hash, issued_at, rotated_at) SELECT session_id, hash, issued_at, rotated_at FROM refresh_tokens;
  DROP TABLE refresh_tokens;
  ALTER TABLE refresh_tokens_v2 RENAME TO refresh_tokens;
  `,
  // 3: a pending email change (PATCH /me new_email) waits on the user row until a link sent to
  // the new address is used; not UNIQUE, so a pending address is not reserved against others
  `
  ALTER TABLE users ADD COLUMN pending_email TEXT;
  ALTER TABLE users ADD COLUMN pending_email_norm TEXT;
  `,
  // 4: sessions remember when their user last proved a factor (`auth_time`, ms): set at sign-in
  // and by a step-up (POST /reauth), never by a refresh; existing sessions count from creation
  `
  ALTER TABLE sessions ADD COLUMN auth_time INTEGER NOT NULL DEFAULT 0;
  UPDATE sessions SET auth_time = created_at;
  `,
  // 5: a purpose per signing key (access_token, set; the JWKS publishes it as `warden_use`), so
  // a key signs one kind of JWT only. Until now the EdDSA key signed the Security Event Tokens
  // and, on EdDSA tenants, the access tokens too: it stays the access-token key there (a new SET
  // key is made on the object's next start); on other tenants it only ever signed SETs.
  `
  ALTER TABLE signing_keys ADD COLUMN purpose TEXT NOT NULL DEFAULT 'access_token';
  UPDATE signing_keys SET purpose = 'set'
    WHERE alg = 'EdDSA' AND (SELECT json_extract(settings, '$.token_alg') FROM settings WHERE id = 1) IS NOT 'EdDSA';
  `,
  // 6: secrets at rest and a keyed audit chain. The webhook secret moves out of the settings
  // JSON into a sealed column (the object seals a clear one the first time it loads). Audit
  // rows record the master key that keyed their HMAC (NULL: an unkeyed SHA-256 row written
  // before this migration); audit_head keeps the chain's newest link, its row count and the
  // anchor the oldest retained row links to, under an HMAC; audit_checkpoints records each
  // retention purge, keyed, so a purge is told apart from a deletion
  `
  ALTER TABLE settings ADD COLUMN webhook_secret_sealed TEXT;
  ALTER TABLE audit_log ADD COLUMN key_id TEXT;
  CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    keyed_from INTEGER NOT NULL,
    first_id INTEGER NOT NULL,
    anchor TEXT NOT NULL,
    head_id INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    count INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    mac TEXT NOT NULL
  );
  CREATE TABLE audit_checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    through_id INTEGER NOT NULL,
    hash TEXT NOT NULL,
    purged INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    mac TEXT NOT NULL
  );
  `,
  // 7: one refresh chain per session (objects/tenant/refresh-chain.ts) instead of a row per
  // token: the current generation, the one it (re)started at, its token's hash and when it was
  // issued. Each session's newest current token is kept as generation 0, so existing refresh
  // tokens go on working; older rotated rows and extra grace siblings are dropped (a sibling is
  // then unknown).
  `
  CREATE TABLE refresh_chains (
    chain_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    first_generation INTEGER NOT NULL,
    hash TEXT NOT NULL,
    issued_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO refresh_chains (chain_id, generation, first_generation, hash, issued_at)
    SELECT session_id, 0, 0, hash, MAX(issued_at) FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id;
  DROP TABLE refresh_tokens;
  `,
  // 8: the OAuth / OpenID Connect provider: registered clients (secret hashed), authorization
  // codes (hashed, single use, 60 s), and grants (one client's authorization under a Warden
  // session, or a machine client's own for client_credentials; their refresh tokens are refresh_chains
  // rows with the grant id as the chain id)
  `
  CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    metadata TEXT NOT NULL,
    secret_hash TEXT,
    dynamic INTEGER NOT NULL DEFAULT 0,
    client_id_issued_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX clients_dynamic ON clients (dynamic, created_at);

  CREATE TABLE authorization_codes (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    session_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    auth_time INTEGER NOT NULL,
    resource TEXT,
    claims TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER,
    grant_id TEXT
  );
  CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);

  CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    session_id TEXT,
    user_id TEXT,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    resource TEXT,
    auth_time INTEGER,
    nonce TEXT,
    created_at INTEGER NOT NULL,
    last_refreshed_at INTEGER,
    revoked_at INTEGER,
    revoke_reason TEXT
  );
  CREATE INDEX grants_session ON grants (session_id) WHERE session_id IS NOT NULL;
  CREATE INDEX grants_client ON grants (client_id);
  CREATE INDEX grants_revoked ON grants (revoked_at) WHERE revoked_at IS NOT NULL;
  `,
  // 9: the hosted pages: the browser's cookie bound to its Warden session (only its SHA-256,
  // one per session, since every sign-in makes a new session), and the scopes each user has
  // consented to per OAuth client
  `
  ALTER TABLE sessions ADD COLUMN browser_hash TEXT;
  CREATE UNIQUE INDEX sessions_browser ON sessions (browser_hash) WHERE browser_hash IS NOT NULL;

  CREATE TABLE consents (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
  ) WITHOUT ROWID;
  `,
  // 10: passkeys (WebAuthn): one row per credential (objects/tenant/passkeys/store.ts); each user's
  // random WebAuthn user handle, made at their first registration; and the passkey that
  // created a session, so removing the passkey ends those sessions and no others
  `
  CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    counter INTEGER NOT NULL,
    transports TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backed_up INTEGER NOT NULL,
    aaguid TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
  );
  CREATE INDEX passkeys_user ON passkeys (user_id);
  ALTER TABLE users ADD COLUMN webauthn_handle TEXT;
  CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle) WHERE webauthn_handle IS NOT NULL;
  ALTER TABLE sessions ADD COLUMN passkey_id TEXT;
  CREATE INDEX sessions_passkey ON sessions (passkey_id) WHERE passkey_id IS NOT NULL;
  `,
  // 11: upstream identity providers (config JSON; the client secret or Apple's signing key
  // sealed) and the upstream identities linked to users, keyed by (provider, issuer, subject);
  // for Microsoft the issuer names the Entra tenant (tid) and the subject is the oid
  `
  CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    config TEXT NOT NULL,
    secret_sealed TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE identities (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    email_verified INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX identities_subject ON identities (provider_id, issuer, subject);
  CREATE INDEX identities_user ON identities (user_id);
  `,
  // 12: the admin console's hourly counters (objects/tenant/hourly.ts): sign-ins, failures,
  // refresh-token reuse and revocations per hour, kept 48 hours
  `
  CREATE TABLE hourly_counts (
    hour INTEGER NOT NULL,
    kind TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (hour, kind)
  ) WITHOUT ROWID;
  `,
];
