-- Accounts: the credentials and role of a user; the public part is the profile (same id).
CREATE TABLE accounts (
    id UUID PRIMARY KEY REFERENCES profiles (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('buyer', 'seller', 'admin')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
