-- catalog: initial schema (template-owned; add later changes as 0002_*.sql and up).
CREATE TABLE "categories" (
    id UUID PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX "categories_created_idx" ON "categories" (created_at, id);

-- Idempotency-Key on POST: the first response to each key, stored in the create's transaction.
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    headers JSONB,
    body JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Transactional outbox: written in the same transaction as the change it announces.
CREATE TABLE outbox (
    seq BIGSERIAL PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    key BYTEA,
    payload BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE sent_at IS NULL;
